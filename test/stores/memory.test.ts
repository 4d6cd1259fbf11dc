import { describe, expect, it } from 'vitest'
import { AuthConfigError } from '../../src/errors.js'
import { cacheRevocationStore, cacheUserStore } from '../../src/stores/cache/index.js'
import { createMemoryRevocationStore, createMemoryUserStore } from '../../src/stores/memory.js'
import { MAX_CLOCK_TOLERANCE } from '../../src/stores/validate.js'
import { revocationStoreContract } from './revocation-store-contract.js'
import { userStoreContract } from './user-store-contract.js'
import { manualClock } from '../helpers/tokens.js'

const T0 = Date.UTC(2026, 0, 1) / 1000

userStoreContract('memory', (seed) =>
  Promise.resolve({ store: createMemoryUserStore(seed), cleanup: () => Promise.resolve() }),
)

userStoreContract('memory behind cacheUserStore', (seed) => {
  const store = cacheUserStore(createMemoryUserStore(seed))
  return Promise.resolve({ store, cleanup: () => store.close() })
})

revocationStoreContract('memory', () => {
  const time = manualClock(T0 * 1000)
  return Promise.resolve({
    store: createMemoryRevocationStore({ clock: time.clock }),
    now: time.now,
    advance: time.advance,
    cleanup: () => Promise.resolve(),
  })
})

revocationStoreContract('memory behind cacheRevocationStore', () => {
  const time = manualClock(T0 * 1000)
  const store = cacheRevocationStore(createMemoryRevocationStore({ clock: time.clock }), {
    clock: time.clock,
  })
  return Promise.resolve({
    store,
    now: time.now,
    advance: time.advance,
    cleanup: () => store.close(),
  })
})

describe('memory revocation store bound', () => {
  it('refuses new entries when full of live ones, rather than evicting a revocation', async () => {
    const time = manualClock(T0 * 1000)
    const store = createMemoryRevocationStore({ clock: time.clock, max: 2 })
    await store.revokeToken('a', T0 + 60)
    await store.revokeSubject('s', T0, 60)
    await expect(store.revokeToken('b', T0 + 60)).rejects.toThrow('memory revocation store is full')
    // Both live entries still hold.
    expect(await store.isRevoked({ subject: 'x', jti: 'a' })).toBe(true)
    expect(await store.isRevoked({ subject: 's', issuedAt: T0 - 1 })).toBe(true)
    // Re-revoking an existing entry needs no room.
    await store.revokeToken('a', T0 + 120)
  })

  it('makes room by dropping expired entries', async () => {
    const time = manualClock(T0 * 1000)
    const store = createMemoryRevocationStore({ clock: time.clock, max: 2 })
    await store.revokeToken('a', T0 + 10)
    await store.revokeToken('b', T0 + 10)
    // Denials are kept the largest clock tolerance past the token's expiry.
    time.advance(10 + MAX_CLOCK_TOLERANCE + 1)
    await store.revokeToken('c', T0 + 60)
    await store.revokeSubject('s', T0, 60)
    expect(await store.isRevoked({ subject: 'x', jti: 'c' })).toBe(true)
    expect(await store.isRevoked({ subject: 'x', jti: 'a' })).toBe(false)
  })

  it.each([0, 1.5, Number.NaN])('rejects the bound %s at creation, naming the option', (max) => {
    expect(() => createMemoryRevocationStore({ max })).toThrow(AuthConfigError)
    expect(() => createMemoryRevocationStore({ max })).toThrow(
      expect.objectContaining({ option: 'max' }),
    )
  })

  // One rule for claim names in every store: a config that starts here starts on Redis too.
  it.each([[['a:b']], [['s id']], [['']], [[7]], ['sid']])(
    'rejects the claims %j at creation, naming the option',
    (claims) => {
      const create = () => createMemoryRevocationStore({ claims: claims as string[] })
      expect(create).toThrow(AuthConfigError)
      expect(create).toThrow(expect.objectContaining({ option: 'claims' }))
    },
  )
})

describe('memory user store helpers', () => {
  it('setUser replaces a user including disabled; deleteUser removes it', async () => {
    const store = createMemoryUserStore([{ username: 'alice', roles: ['user'] }])
    store.setUser({ username: 'alice', roles: ['user'], disabled: true })
    expect(await store.findUser('alice')).toEqual({
      username: 'alice',
      roles: ['user'],
      disabled: true,
    })
    expect(store.deleteUser('alice')).toBe(true)
    expect(await store.findUser('alice')).toBeUndefined()
  })

  it('rejects a malformed seed at creation', () => {
    expect(() =>
      createMemoryUserStore([{ username: 'a', roles: 'admin' as unknown as string[] }]),
    ).toThrow(TypeError)
  })
})
