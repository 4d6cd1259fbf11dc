import { describe, expect, it } from 'vitest'
import { VerifiedTokenCache } from '../../src/verified-cache.js'
import type { VerifiedToken } from '../../src/verified-cache.js'

const NOW = 1_893_456_000_000

function result(exp: number | undefined): VerifiedToken {
  return { registered: { exp } } as unknown as VerifiedToken
}

describe('VerifiedTokenCache accounting', () => {
  it('keeps its byte count exact through set, replace, expiry, eviction, delete and clear', () => {
    const cache = new VerifiedTokenCache(2, 1_000_000, 60_000)
    cache.set('aaaa', result(NOW / 1000 + 10), NOW, 100)
    const one = cache.bytes
    expect(one).toBe(4 * 2 + 100 + 512)
    cache.set('aaaa', result(NOW / 1000 + 10), NOW, 100)
    expect(cache.bytes).toBe(one)
    cache.set('bbbb', result(NOW / 1000 + 20), NOW, 100)
    // The cache is full: a new token is admitted on its second verification only.
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
    cache.set('dddd', result(undefined), NOW, 100)
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.bytes).toBe(0)
  })

  it('refuses entries already expired, and keeps others until the earlier of exp and ttl', () => {
    const cache = new VerifiedTokenCache(10, 1_000_000, 60_000)
    cache.set('past', result(NOW / 1000), NOW, 0)
    expect(cache.size).toBe(0)
    cache.set('soon', result(NOW / 1000 + 5), NOW, 0)
    cache.set('late', result(NOW / 1000 + 3600), NOW, 0)
    cache.set('never', result(undefined), NOW, 0)
    expect(cache.get('soon', NOW + 4_999)).toBeDefined()
    expect(cache.get('soon', NOW + 5_000)).toBeUndefined()
    expect(cache.get('late', NOW + 59_999)).toBeDefined()
    expect(cache.get('late', NOW + 60_000)).toBeUndefined()
    expect(cache.get('never', NOW + 60_000)).toBeUndefined()
  })

  it('lets a flood of tokens seen once pass a full cache by, keeping its entries', () => {
    const cache = new VerifiedTokenCache(2, 1_000_000, 60_000)
    cache.set('hot-1', result(NOW / 1000 + 60), NOW, 0)
    cache.set('hot-2', result(NOW / 1000 + 60), NOW, 0)
    for (let i = 0; i < 10_000; i++) {
      expect(cache.set(`flood-${i}`, result(NOW / 1000 + 60), NOW, 0)).toBe(false)
    }
    expect(cache.size).toBe(2)
    expect(cache.get('hot-1', NOW)).toBeDefined()
    expect(cache.get('hot-2', NOW)).toBeDefined()
  })
})
