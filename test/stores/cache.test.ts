import { describe, expect, it } from 'vitest'
import { AuthConfigError } from '../../src/errors.js'
import { cacheRevocationStore, cacheUserStore } from '../../src/stores/cache/index.js'
import { createInvalidationHub } from '../../src/stores/invalidation.js'
import type { InvalidationListener } from '../../src/stores/invalidation.js'
import { createMemoryRevocationStore, createMemoryUserStore } from '../../src/stores/memory.js'
import type {
  RevocationQuery,
  RevocationStore,
  UserRecord,
  UserStore,
} from '../../src/stores/types.js'
import { StoreDataError } from '../../src/stores/validate.js'

/** A controllable clock in ms. */
function testClock(): { clock: () => Date; tick: (ms: number) => void } {
  let now = Date.UTC(2026, 0, 1)
  return { clock: () => new Date(now), tick: (ms) => (now += ms) }
}

/**
 * A user store that counts queries and can hold them until released, or answer with a fault.
 * It implements the real interface, so the cache is tested exactly as adapters use it.
 */
class ProbeUserStore implements UserStore {
  readonly inner = createMemoryUserStore([
    { username: 'alice', roles: ['admin'] },
    { username: 'bob', roles: ['user'] },
    { username: 'carol', roles: [] },
  ])
  queries = 0
  closed = 0
  fault: (() => unknown) | undefined
  private gate: Promise<void> | undefined
  private openGate: (() => void) | undefined

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve))
  }
  release(): void {
    this.openGate?.()
    this.gate = undefined
  }
  async findUser(username: string): Promise<UserRecord | undefined> {
    this.queries++
    // Read before waiting: a held query answers with the data of the moment it started.
    const user = await this.inner.findUser(username)
    await this.gate
    if (this.fault !== undefined) return this.fault() as UserRecord
    return user
  }
  createUser(user: UserRecord): Promise<void> {
    return this.inner.createUser(user)
  }
  updateUser(user: UserRecord): Promise<void> {
    return this.inner.updateUser(user)
  }
  close(): Promise<void> {
    this.closed++
    return Promise.resolve()
  }
}

describe('cacheUserStore', () => {
  it('keeps a found user for ttl ms', async () => {
    const { clock, tick } = testClock()
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { ttl: 5000, clock })
    expect(await cache.findUser('alice')).toEqual({
      username: 'alice',
      roles: ['admin'],
      disabled: false,
    })
    tick(4999)
    expect((await cache.findUser('alice'))?.roles).toEqual(['admin'])
    expect(probe.queries).toBe(1)
    tick(1)
    await cache.findUser('alice')
    expect(probe.queries).toBe(2)
  })

  it('keeps "no such user" for negativeTtl ms only', async () => {
    const { clock, tick } = testClock()
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { ttl: 5000, negativeTtl: 1000, clock })
    expect(await cache.findUser('mallory')).toBeUndefined()
    tick(999)
    expect(await cache.findUser('mallory')).toBeUndefined()
    expect(probe.queries).toBe(1)
    tick(1)
    probe.inner.setUser({ username: 'mallory', roles: ['user'] })
    expect((await cache.findUser('mallory'))?.roles).toEqual(['user'])
    expect(probe.queries).toBe(2)
  })

  it('does not keep misses with negativeTtl 0', async () => {
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { negativeTtl: 0, clock: testClock().clock })
    await cache.findUser('mallory')
    await cache.findUser('mallory')
    expect(probe.queries).toBe(2)
  })

  it('holds at most max entries, dropping the least recently used', async () => {
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { max: 2, clock: testClock().clock })
    await cache.findUser('alice')
    await cache.findUser('bob')
    await cache.findUser('alice') // hit: alice becomes the most recent
    await cache.findUser('carol') // evicts bob
    expect(cache.size).toBe(2)
    expect(probe.queries).toBe(3)
    await cache.findUser('alice')
    expect(probe.queries).toBe(3)
    await cache.findUser('bob')
    expect(probe.queries).toBe(4)
  })

  it('turns a burst of lookups for one user into one query', async () => {
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { clock: testClock().clock })
    probe.hold()
    const burst = Array.from({ length: 100 }, () => cache.findUser('alice'))
    await Promise.resolve()
    probe.release()
    const users = await Promise.all(burst)
    expect(probe.queries).toBe(1)
    expect(users.every((user) => user?.username === 'alice')).toBe(true)
    // Every caller gets its own copy.
    users[0]!.roles.push('root')
    expect(users[1]!.roles).toEqual(['admin'])
    expect((await cache.findUser('alice'))?.roles).toEqual(['admin'])
  })

  it('never caches an error, and shares it with the lookups that waited for it', async () => {
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { clock: testClock().clock })
    probe.fault = () => {
      throw new Error('connection refused')
    }
    probe.hold()
    const waiting = [cache.findUser('alice'), cache.findUser('alice')]
    probe.release()
    for (const lookup of waiting) await expect(lookup).rejects.toThrow('connection refused')
    expect(probe.queries).toBe(1)
    probe.fault = undefined
    expect((await cache.findUser('alice'))?.username).toBe('alice')
    expect(probe.queries).toBe(2)
  })

  it.each([
    ['roles not an array', { username: 'alice', roles: 'admin' }],
    ['roles with a number', { username: 'alice', roles: [1] }],
    ['another user', { username: 'bob', roles: [] }],
    ['a string', 'alice'],
    ['disabled not a boolean', { username: 'alice', roles: [], disabled: 'no' }],
    ['name a number', { username: 'alice', roles: [], name: 42 }],
  ])('rejects and does not cache a malformed answer: %s', async (_label, answer) => {
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { clock: testClock().clock })
    probe.fault = () => answer
    await expect(cache.findUser('alice')).rejects.toThrow(StoreDataError)
    probe.fault = undefined
    expect((await cache.findUser('alice'))?.roles).toEqual(['admin'])
    expect(probe.queries).toBe(2)
  })

  it('reads a null name as no name, as the middleware does (issue 21, point 23)', async () => {
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { clock: testClock().clock })
    probe.fault = () => ({ username: 'alice', roles: ['admin'], disabled: false, name: null })
    expect(await cache.findUser('alice')).toEqual({
      username: 'alice',
      roles: ['admin'],
      disabled: false,
    })
  })

  it('never asks the store about values that cannot match', async () => {
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { clock: testClock().clock })
    for (const value of ['', 'x\uD800', 'a\0', 1, null, ['alice']]) {
      expect(await cache.findUser(value as string)).toBeUndefined()
    }
    expect(probe.queries).toBe(0)
  })

  it('drops one user, or everything, on an invalidation event', async () => {
    const hub = createInvalidationHub()
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { invalidations: hub, clock: testClock().clock })
    await cache.findUser('alice')
    await cache.findUser('bob')
    probe.inner.setUser({ username: 'alice', roles: ['user'], disabled: true })
    hub.publish({ type: 'user', username: 'alice' })
    expect(await cache.findUser('alice')).toMatchObject({ roles: ['user'], disabled: true })
    await cache.findUser('bob')
    expect(probe.queries).toBe(3)
    hub.publish({ type: 'token', jti: 'bob' }) // not a user event: nothing dropped
    await cache.findUser('bob')
    expect(probe.queries).toBe(3)
    hub.publish({ type: 'all' })
    await cache.findUser('bob')
    expect(probe.queries).toBe(4)
  })

  it('does not cache a lookup that was invalidated while it ran', async () => {
    const hub = createInvalidationHub()
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { invalidations: hub, clock: testClock().clock })
    probe.hold()
    const stale = cache.findUser('alice')
    await new Promise((resolve) => setImmediate(resolve))
    probe.inner.setUser({ username: 'alice', roles: [], disabled: true })
    hub.publish({ type: 'user', username: 'alice' })
    probe.release()
    expect((await stale)?.disabled).toBe(false)
    expect(await cache.findUser('alice')).toMatchObject({ disabled: true })
    expect(probe.queries).toBe(2)
  })

  it('starts a new query for a lookup made after an invalidation', async () => {
    const hub = createInvalidationHub()
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { invalidations: hub, clock: testClock().clock })
    probe.hold()
    const stale = cache.findUser('alice')
    await new Promise((resolve) => setImmediate(resolve))
    probe.inner.setUser({ username: 'alice', roles: [], disabled: true })
    hub.publish({ type: 'user', username: 'alice' })
    const fresh = cache.findUser('alice')
    probe.release()
    expect((await stale)?.disabled).toBe(false)
    expect((await fresh)?.disabled).toBe(true)
    expect(probe.queries).toBe(2)
    expect((await cache.findUser('alice'))?.disabled).toBe(true)
    expect(probe.queries).toBe(2)
  })

  it('drops the local entry when a user is created or updated through it', async () => {
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { clock: testClock().clock })
    expect(await cache.findUser('dave')).toBeUndefined()
    await cache.createUser!({ username: 'dave', roles: ['user'] })
    expect((await cache.findUser('dave'))?.roles).toEqual(['user'])
    await cache.updateUser!({ username: 'dave', roles: ['admin'] })
    expect((await cache.findUser('dave'))?.roles).toEqual(['admin'])
  })

  it('offers createUser/updateUser only when the store does', () => {
    const cache = cacheUserStore({ findUser: () => Promise.resolve(undefined) })
    expect('createUser' in cache).toBe(false)
    expect('updateUser' in cache).toBe(false)
  })

  it('keeps nothing while an invalidation source is not connected', async () => {
    const hub = createInvalidationHub()
    let connected = false
    const source = {
      subscribe: (listener: InvalidationListener) => hub.subscribe(listener),
      get connected() {
        return connected
      },
    }
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { invalidations: [source], clock: testClock().clock })
    await cache.findUser('alice')
    await cache.findUser('alice')
    expect(probe.queries).toBe(2)
    expect(cache.size).toBe(0)
    connected = true
    await cache.findUser('alice')
    await cache.findUser('alice')
    expect(probe.queries).toBe(3)
  })

  it('stops listening and closes the store once on close', async () => {
    const hub = createInvalidationHub()
    const probe = new ProbeUserStore()
    const cache = cacheUserStore(probe, { invalidations: [hub], clock: testClock().clock })
    await cache.findUser('alice')
    await Promise.all([cache.close(), cache.close()])
    expect(probe.closed).toBe(1)
    hub.publish({ type: 'all' })
    expect(cache.size).toBe(1)
  })

  it.each([
    ['ttl', { ttl: -1 }],
    ['negativeTtl', { negativeTtl: Number.NaN }],
    ['max', { max: 0 }],
    ['max', { max: 1.5 }],
  ])('refuses the option %s in %j at creation', (option, options) => {
    const create = (): unknown => cacheUserStore(new ProbeUserStore(), options)
    expect(create).toThrow(AuthConfigError)
    expect(create).toThrow(expect.objectContaining({ option }))
  })

  it.each([
    ['ttl', { ttl: Number.POSITIVE_INFINITY }],
    ['max', { max: -3 }],
  ])('the revocation cache refuses the option %s in %j at creation', (option, options) => {
    const create = (): unknown => cacheRevocationStore(new ProbeRevocationStore(), options)
    expect(create).toThrow(AuthConfigError)
    expect(create).toThrow(expect.objectContaining({ option }))
  })
})

/** A revocation store that counts queries and can answer with a fault. */
class ProbeRevocationStore implements RevocationStore {
  readonly inner = createMemoryRevocationStore()
  queries = 0
  fault: (() => unknown) | undefined
  async isRevoked(query: RevocationQuery): Promise<boolean> {
    this.queries++
    await Promise.resolve()
    if (this.fault !== undefined) return this.fault() as boolean
    return this.inner.isRevoked(query)
  }
  revokeToken(jti: string, expiresAt: number): Promise<void> {
    return this.inner.revokeToken(jti, expiresAt)
  }
  revokeSubject(subject: string, before: number, ttl: number): Promise<void> {
    return this.inner.revokeSubject(subject, before, ttl)
  }
  revokeClaim(claim: string, value: string, before: number, ttl: number): Promise<void> {
    return this.inner.revokeClaim(claim, value, before, ttl)
  }
}

describe('cacheRevocationStore', () => {
  it("keys by a memory store's custom claims and passes revocations by them", async () => {
    const store = createMemoryRevocationStore({ claims: ['tenant'] })
    expect(store.claims).toEqual(['tenant'])
    const cached = cacheRevocationStore(store)
    const of = (tenant: string) => ({ subject: 'alice', issuedAt: 1, claims: { tenant } })
    expect(await cached.isRevoked(of('a'))).toBe(false)
    expect(await cached.isRevoked(of('b'))).toBe(false)
    await cached.revokeClaim!('tenant', 'a', 2, 600)
    // Keyed by tenant: the cached "not revoked" of tenant a is dropped, b's answer is its own.
    expect(await cached.isRevoked(of('a'))).toBe(true)
    expect(await cached.isRevoked(of('b'))).toBe(false)
  })

  const later = Math.floor(Date.now() / 1000) + 600
  const tokenA: RevocationQuery = { subject: 'alice', jti: 'a', issuedAt: 100 }
  const tokenB: RevocationQuery = { subject: 'alice', jti: 'b', issuedAt: 100 }
  const tokenC: RevocationQuery = { subject: 'bob', jti: 'c', issuedAt: 100 }

  it('keeps answers for ttl ms and shares concurrent identical lookups', async () => {
    const { clock, tick } = testClock()
    const probe = new ProbeRevocationStore()
    const cache = cacheRevocationStore(probe, { ttl: 1000, clock })
    expect(await Promise.all([cache.isRevoked(tokenA), cache.isRevoked({ ...tokenA })])).toEqual([
      false,
      false,
    ])
    expect(probe.queries).toBe(1)
    tick(999)
    await cache.isRevoked(tokenA)
    expect(probe.queries).toBe(1)
    tick(1)
    await cache.isRevoked(tokenA)
    expect(probe.queries).toBe(2)
    await cache.isRevoked({ ...tokenA, issuedAt: 101 })
    expect(probe.queries).toBe(3)
  })

  it('drops expired answers when it keeps a new one, so one-off lookups do not pile up', async () => {
    const { clock, tick } = testClock()
    const probe = new ProbeRevocationStore()
    const cache = cacheRevocationStore(probe, { ttl: 1000, max: 100, clock })
    for (let i = 0; i < 50; i++) await cache.isRevoked({ subject: 'alice', jti: `one-off-${i}` })
    expect(cache.size).toBe(50)
    tick(500)
    await cache.isRevoked({ subject: 'alice', jti: 'young' })
    expect(cache.size).toBe(51)
    tick(500)
    await cache.isRevoked({ subject: 'alice', jti: 'fresh' })
    // The 50 one-off answers expired and went; the one kept at +500 ms is still live.
    expect(cache.size).toBe(2)
    expect(probe.queries).toBe(52)
  })

  it('applies a revocation made through it at once', async () => {
    const probe = new ProbeRevocationStore()
    const cache = cacheRevocationStore(probe, { ttl: 60_000, clock: testClock().clock })
    expect(await cache.isRevoked(tokenA)).toBe(false)
    await cache.revokeToken('a', later)
    expect(await cache.isRevoked(tokenA)).toBe(true)
    expect(await cache.isRevoked(tokenB)).toBe(false)
    await cache.revokeSubject('alice', 200, 600)
    expect(await cache.isRevoked(tokenB)).toBe(true)
  })

  it('drops exactly the matching entries on token and subject events', async () => {
    const hub = createInvalidationHub()
    const probe = new ProbeRevocationStore()
    const cache = cacheRevocationStore(probe, {
      ttl: 60_000,
      invalidations: hub,
      clock: testClock().clock,
    })
    for (const query of [tokenA, tokenB, tokenC]) await cache.isRevoked(query)
    expect(probe.queries).toBe(3)
    // Another instance revokes token a: the event arrives here.
    await probe.inner.revokeToken('a', later)
    hub.publish({ type: 'token', jti: 'a' })
    expect(await cache.isRevoked(tokenA)).toBe(true)
    expect(await cache.isRevoked(tokenB)).toBe(false)
    expect(probe.queries).toBe(4)
    await probe.inner.revokeSubject('alice', 200, 600)
    hub.publish({ type: 'subject', subject: 'alice' })
    expect(await cache.isRevoked(tokenB)).toBe(true)
    expect(await cache.isRevoked(tokenC)).toBe(false)
    expect(probe.queries).toBe(5)
    hub.publish({ type: 'user', username: 'bob' }) // not a revocation event
    await cache.isRevoked(tokenC)
    expect(probe.queries).toBe(5)
    hub.publish({ type: 'all' })
    await cache.isRevoked(tokenC)
    expect(probe.queries).toBe(6)
  })

  it('keeps nothing while an invalidation source is not connected', async () => {
    const hub = createInvalidationHub()
    let connected = false
    const probe = new ProbeRevocationStore()
    const cache = cacheRevocationStore(probe, {
      invalidations: {
        subscribe: (listener: InvalidationListener) => hub.subscribe(listener),
        get connected() {
          return connected
        },
      },
      clock: testClock().clock,
    })
    await cache.isRevoked(tokenA)
    await cache.isRevoked(tokenA)
    expect(probe.queries).toBe(2)
    connected = true
    await cache.isRevoked(tokenA)
    await cache.isRevoked(tokenA)
    expect(probe.queries).toBe(3)
  })

  it('never caches errors or non-boolean answers', async () => {
    const probe = new ProbeRevocationStore()
    const cache = cacheRevocationStore(probe, { clock: testClock().clock })
    probe.fault = () => {
      throw new Error('timeout')
    }
    await expect(cache.isRevoked(tokenA)).rejects.toThrow('timeout')
    for (const answer of ['false', 0, null, undefined, {}]) {
      probe.fault = () => answer
      await expect(cache.isRevoked(tokenA)).rejects.toThrow(StoreDataError)
    }
    probe.fault = undefined
    expect(await cache.isRevoked(tokenA)).toBe(false)
    expect(probe.queries).toBe(7)
  })

  // Two sessions of one subject, without jti: before, the key (subject, issuer, jti, iat) was the
  // same for both, so one session's cached answer was the other's.
  const session = (sid: string): RevocationQuery => ({
    subject: 'alice',
    issuedAt: 100,
    claims: { sub: 'alice', sid, iat: 100 },
  })

  it('never shares an answer between two sessions (sid) of one subject', async () => {
    const probe = new ProbeRevocationStore()
    const cache = cacheRevocationStore(probe, { ttl: 60_000, clock: testClock().clock })
    expect(await cache.isRevoked(session('s-1'))).toBe(false)
    // Revoked behind the cache's back (no event): a shared entry would answer false for s-2.
    await probe.inner.revokeClaim('sid', 's-2', 200, 600)
    expect(await cache.isRevoked(session('s-2'))).toBe(true)
    expect(await cache.isRevoked(session('s-1'))).toBe(false)
    expect(probe.queries).toBe(2)
  })

  it('applies revokeClaim made through it at once, and refuses a claim it does not key by', async () => {
    const probe = new ProbeRevocationStore()
    const cache = cacheRevocationStore(probe, { ttl: 60_000, clock: testClock().clock })
    expect(await cache.isRevoked(session('s-1'))).toBe(false)
    await cache.revokeClaim!('sid', 's-1', 200, 600)
    expect(await cache.isRevoked(session('s-1'))).toBe(true)
    expect(await cache.isRevoked(session('s-2'))).toBe(false)
    await expect(cache.revokeClaim!('email', 'a@example.com', 200, 600)).rejects.toThrow(TypeError)
    // A cache over a store without revokeClaim offers none.
    const plain: RevocationStore = {
      isRevoked: (query) => probe.inner.isRevoked(query),
      revokeToken: (jti, expiresAt) => probe.inner.revokeToken(jti, expiresAt),
      revokeSubject: (subject, before, ttl) => probe.inner.revokeSubject(subject, before, ttl),
    }
    expect('revokeClaim' in cacheRevocationStore(plain)).toBe(false)
  })

  it('drops exactly the entries of a claim event; an unknown claim drops everything', async () => {
    const hub = createInvalidationHub()
    const probe = new ProbeRevocationStore()
    const cache = cacheRevocationStore(probe, {
      ttl: 60_000,
      invalidations: hub,
      clock: testClock().clock,
    })
    for (const sid of ['s-1', 's-2']) await cache.isRevoked(session(sid))
    expect(probe.queries).toBe(2)
    await probe.inner.revokeClaim('sid', 's-1', 200, 600)
    hub.publish({ type: 'claim', claim: 'sid', value: 's-1' })
    expect(await cache.isRevoked(session('s-1'))).toBe(true)
    expect(await cache.isRevoked(session('s-2'))).toBe(false)
    expect(probe.queries).toBe(3)
    hub.publish({ type: 'claim', claim: 'sub', value: 'alice' })
    await cache.isRevoked(session('s-2'))
    expect(probe.queries).toBe(4)
    hub.publish({ type: 'claim', claim: 'tenant', value: 'x' })
    expect(cache.size).toBe(0)
  })

  it("keys by the wrapped store's claims, and refuses an option that leaves one out", async () => {
    const probe = new ProbeRevocationStore()
    const store = Object.assign(probe, { claims: ['sid', 'tenant'] })
    const cache = cacheRevocationStore(store, { ttl: 60_000, clock: testClock().clock })
    const tenant = (name: string): RevocationQuery => ({
      subject: 'alice',
      issuedAt: 100,
      claims: { tenant: name },
    })
    expect(await cache.isRevoked(tenant('t-1'))).toBe(false)
    expect(await cache.isRevoked(tenant('t-2'))).toBe(false)
    // Two answers: the tenant is part of the key.
    expect(probe.queries).toBe(2)
    expect(() => cacheRevocationStore(store, { claims: ['sid'] })).toThrow(
      expect.objectContaining({ option: 'claims' }),
    )
  })
})
