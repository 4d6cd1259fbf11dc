import { describe, expect, it } from 'vitest'
import { VerifiedTokenCache } from '../../src/pipeline/verified-cache.js'
import type { VerifiedToken } from '../../src/pipeline/verified-cache.js'

const NOW = 1_893_456_000_000

function result(exp: number | undefined): VerifiedToken {
  return { registered: { exp } } as unknown as VerifiedToken
}

/** Stores a token the way the authenticator's verifications would: it is admitted on the second. */
function admit(cache: VerifiedTokenCache, token: string, exp: number | undefined, claimBytes = 0) {
  cache.set(token, result(exp), NOW, claimBytes)
  return cache.set(token, result(exp), NOW, claimBytes)
}

describe('VerifiedTokenCache accounting', () => {
  it('keeps its byte count exact through set, replace, expiry, eviction, delete and clear', () => {
    const cache = new VerifiedTokenCache(2, 1_000_000, 60_000)
    // A token is admitted on its second verification only, into an empty cache as well.
    expect(cache.set('aaaa', result(NOW / 1000 + 10), NOW, 100)).toBe(false)
    expect(cache.bytes).toBe(0)
    expect(cache.set('aaaa', result(NOW / 1000 + 10), NOW, 100)).toBe(true)
    const one = cache.bytes
    expect(one).toBe(4 * 2 + 100 + 512)
    cache.set('aaaa', result(NOW / 1000 + 10), NOW, 100)
    expect(cache.bytes).toBe(one)
    admit(cache, 'bbbb', NOW / 1000 + 20, 100)
    expect(cache.set('cccc', result(NOW / 1000 + 20), NOW, 100)).toBe(false)
    expect(cache.set('cccc', result(NOW / 1000 + 20), NOW, 100)).toBe(true)
    expect(cache.size).toBe(2)
    expect(cache.bytes).toBe(2 * one)
    expect(cache.get('aaaa', NOW)).toBeUndefined()
    expect(cache.get('bbbb', NOW + 20_000)).toBeUndefined()
    expect(cache.size).toBe(1)
    expect(cache.bytes).toBe(one)
    cache.delete('cccc')
    expect(cache.bytes).toBe(0)
    admit(cache, 'dddd', undefined, 100)
    expect(cache.size).toBe(1)
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.bytes).toBe(0)
  })

  it('refuses entries already expired, and keeps others until the earlier of exp and ttl', () => {
    const cache = new VerifiedTokenCache(10, 1_000_000, 60_000)
    expect(admit(cache, 'past', NOW / 1000)).toBe(false)
    expect(cache.size).toBe(0)
    admit(cache, 'soon', NOW / 1000 + 5)
    admit(cache, 'late', NOW / 1000 + 3600)
    admit(cache, 'never', undefined)
    expect(cache.size).toBe(3)
    expect(cache.get('soon', NOW + 4_999)).toBeDefined()
    expect(cache.get('soon', NOW + 5_000)).toBeUndefined()
    expect(cache.get('late', NOW + 59_999)).toBeDefined()
    expect(cache.get('late', NOW + 60_000)).toBeUndefined()
    expect(cache.get('never', NOW + 60_000)).toBeUndefined()
  })

  it('lets a flood of tokens seen once pass a full cache by, keeping its entries', () => {
    const cache = new VerifiedTokenCache(2, 1_000_000, 60_000)
    admit(cache, 'hot-1', NOW / 1000 + 60)
    admit(cache, 'hot-2', NOW / 1000 + 60)
    for (let i = 0; i < 10_000; i++) {
      expect(cache.set(`flood-${i}`, result(NOW / 1000 + 60), NOW, 0)).toBe(false)
    }
    expect(cache.size).toBe(2)
    expect(cache.get('hot-1', NOW)).toBeDefined()
    expect(cache.get('hot-2', NOW)).toBeDefined()
  })

  it('never stores tokens seen once, even with room to spare', () => {
    const cache = new VerifiedTokenCache(1000, 100_000_000, 60_000)
    for (let i = 0; i < 10_000; i++) {
      expect(cache.set(`once-${i}`, result(NOW / 1000 + 60), NOW, 0)).toBe(false)
    }
    expect(cache.size).toBe(0)
    expect(cache.bytes).toBe(0)
    // The admission filter forgets nothing it need not: a token seen before is stored now.
    expect(cache.set('once-9999', result(NOW / 1000 + 60), NOW, 0)).toBe(true)
  })
})

describe('VerifiedTokenCache index', () => {
  // The cache indexes entries by a token's last 22 characters; these two share them.
  const tail = 'S'.repeat(22)
  const first = `header.first-payload.${tail}`
  const second = `header.other-payload.${tail}`

  it('answers a hit only for the whole token, never for another with the same end', () => {
    const cache = new VerifiedTokenCache(10, 1_000_000, 60_000)
    admit(cache, first, NOW / 1000 + 60)
    expect(cache.get(first, NOW)).toBeDefined()
    expect(cache.get(second, NOW)).toBeUndefined()
    expect(cache.holds(second)).toBe(false)
    // Nor for a token that is only the shared end, or the whole token with something added.
    expect(cache.get(tail, NOW)).toBeUndefined()
    expect(cache.get(`x${first}`, NOW)).toBeUndefined()
  })

  it('replaces the entry of a token that shares its index, once the newcomer is admitted', () => {
    const cache = new VerifiedTokenCache(10, 1_000_000, 60_000)
    admit(cache, first, NOW / 1000 + 60)
    const one = cache.bytes
    // The newcomer passes the admission filter like any other token: not on its first verification.
    expect(cache.set(second, result(NOW / 1000 + 60), NOW, 0)).toBe(false)
    expect(cache.get(first, NOW)).toBeDefined()
    expect(cache.set(second, result(NOW / 1000 + 60), NOW, 0)).toBe(true)
    expect(cache.get(first, NOW)).toBeUndefined()
    expect(cache.get(second, NOW)).toBeDefined()
    expect(cache.size).toBe(1)
    expect(cache.bytes).toBe(one)
  })

  it('deletes a token only, not another held under the same index', () => {
    const cache = new VerifiedTokenCache(10, 1_000_000, 60_000)
    admit(cache, first, NOW / 1000 + 60)
    cache.delete(second)
    expect(cache.get(first, NOW)).toBeDefined()
    cache.delete(first)
    expect(cache.size).toBe(0)
    expect(cache.bytes).toBe(0)
  })

  it('tells whether it holds a token without expiring or moving anything', () => {
    const cache = new VerifiedTokenCache(10, 1_000_000, 60_000)
    admit(cache, 'short', NOW / 1000 + 5)
    admit(cache, first, NOW / 1000 + 5)
    expect(cache.holds('short')).toBe(true)
    expect(cache.holds(first)).toBe(true)
    expect(cache.holds('other')).toBe(false)
    // holds() reads no clock: an entry past its expiry is held until a get() finds it expired.
    expect(cache.size).toBe(2)
    expect(cache.get(first, NOW + 5_000)).toBeUndefined()
    expect(cache.holds(first)).toBe(false)
  })
})
