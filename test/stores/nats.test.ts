/**
 * The NATS revocation store against a real nats-server of this file's own (random loopback
 * port, temporary JetStream directory), so the outage tests can stop and restart it: the shared
 * contract, events from another instance and from a plain NATS client, a late instance, refused
 * events, and failing closed while disconnected, then recovering.
 */
import { randomBytes } from 'node:crypto'
import { connect } from 'nats'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthConfigError } from '../../src/errors.js'
import { cacheUserStore } from '../../src/stores/cache/index.js'
import type { Invalidation } from '../../src/stores/invalidation.js'
import { createMemoryUserStore } from '../../src/stores/memory.js'
import {
  createNatsInvalidationChannel,
  createNatsRevocationStore,
} from '../../src/stores/nats/index.js'
import type {
  NatsRevocationStore,
  NatsRevocationStoreOptions,
} from '../../src/stores/nats/index.js'
import { createStoreApp, nowSeconds, signToken } from './http-app.js'
import { startNatsServer } from './nats-server.js'
import type { NatsTestServer } from './nats-server.js'
import { revocationStoreContract } from './revocation-store-contract.js'
import { manualClock } from '../helpers/tokens.js'

let server: NatsTestServer
const stores: NatsRevocationStore[] = []
beforeAll(async () => {
  server = await startNatsServer()
}, 20_000)
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()))
  await server.dispose()
})

/** A stream and subject of one test's own. */
function names(): { stream: string; subject: string } {
  const id = randomBytes(4).toString('hex')
  return { stream: `REV_${id}`, subject: `jwt-gate.test.${id}` }
}

/** A store on this file's server, closed after the file. */
function open(
  options: Partial<NatsRevocationStoreOptions> & { stream: string },
): NatsRevocationStore {
  const store = createNatsRevocationStore({ nats: server.url, maxLifetime: 3600, ...options })
  stores.push(store)
  return store
}

/** Polls `isRevoked` until it answers `expected` (an outage answers 'unavailable'). */
function eventually(
  store: NatsRevocationStore,
  query: Parameters<NatsRevocationStore['isRevoked']>[0],
) {
  return expect.poll(() => store.isRevoked(query).catch(() => 'unavailable'), {
    timeout: 10_000,
    interval: 20,
  })
}

revocationStoreContract('nats', async () => {
  const time = manualClock(Date.now())
  const where = names()
  const store = open({ ...where, clock: time.clock })
  await store.ready()
  return {
    store,
    now: time.now,
    advance: time.advance,
    async peer() {
      const peer = open(where)
      await peer.ready()
      return { store: peer, invalidations: peer.invalidations }
    },
    cleanup: () => store.close(),
  }
})

describe('nats revocation store', () => {
  it('applies on instance B the revocations of instance A and of a plain NATS client', async () => {
    const where = names()
    const a = open(where)
    const b = open(where)
    await Promise.all([a.ready(), b.ready()])
    const now = nowSeconds()
    await a.revokeToken('t-a', now + 60)
    await a.revokeClaim('sid', 's-a', now, 60)
    await eventually(b, { subject: 'x', jti: 't-a' }).toBe(true)
    await eventually(b, { subject: 'x', issuedAt: now - 1, claims: { sid: 's-a' } }).toBe(true)

    // Another program publishes the documented JSON on the subject.
    const plain = await connect({ servers: server.url })
    const event = { type: 'claim', claim: 'client_id', value: 'app-9', before: now, ttl: 60 }
    await plain.jetstream().publish(where.subject, JSON.stringify(event))
    plain.publish(
      where.subject,
      JSON.stringify({ type: 'subject', subject: 'zed', before: now, ttl: 60 }),
    )
    await eventually(b, { subject: 'x', issuedAt: now - 1, claims: { client_id: 'app-9' } }).toBe(
      true,
    )
    await eventually(b, { subject: 'zed', issuedAt: now - 1 }).toBe(true)
    await plain.close()
  })

  it('refuses malformed and unknown events without crashing or un-revoking anything', async () => {
    const where = names()
    const reasons: string[] = []
    const b = open({ ...where, onInvalidEvent: (reason) => reasons.push(reason) })
    await b.ready()
    const now = nowSeconds()
    await b.revokeSubject('alice', now, 60)
    const plain = await connect({ servers: server.url })
    const js = plain.jetstream()
    for (const garbage of [
      'not json',
      '[]',
      'null',
      '{"type":"unrevoke","subject":"alice"}',
      '{"type":"subject","subject":"alice","before":0,"ttl":60}x',
      JSON.stringify({ type: 'subject', subject: 'alice', before: now, ttl: -5 }),
      JSON.stringify({ type: 'subject', subject: 'alice', before: 'now', ttl: 60 }),
      JSON.stringify({ type: 'token', jti: 'j', expiresAt: now + 60, extra: true }),
      JSON.stringify({
        type: 'claim',
        claim: 'email',
        value: 'a@example.com',
        before: now,
        ttl: 60,
      }),
      JSON.stringify({ type: 'claim', claim: '__proto__', value: 'x', before: now, ttl: 60 }),
      'x'.repeat(9000),
    ])
      await js.publish(where.subject, garbage)
    await js.publish(
      where.subject,
      JSON.stringify({ type: 'token', jti: 'after', expiresAt: now + 60 }),
    )
    await eventually(b, { subject: 'x', jti: 'after' }).toBe(true)
    expect(reasons).toHaveLength(11)
    expect(reasons.join(' ')).not.toContain('a@example.com')
    expect(await b.isRevoked({ subject: 'alice', issuedAt: now - 1 })).toBe(true)
    expect(await b.isRevoked({ subject: 'x', claims: { email: 'a@example.com' } })).toBe(false)
    await plain.close()
  })

  it('lets an instance started later see every revocation still in force', async () => {
    const where = names()
    const a = open(where)
    await a.ready()
    const now = nowSeconds()
    await a.revokeToken('early', now + 60)
    await a.revokeClaim('sid', 'early-session', now, 60)
    // Already expired: replayed, but nothing left to deny.
    await a.revokeSubject('gone', now, 1)
    const late = open(where)
    // Not caught up yet: it answers nothing rather than "not revoked".
    await expect(late.isRevoked({ subject: 'x', jti: 'early' })).rejects.toThrow(/not caught up/)
    await late.ready()
    expect(await late.isRevoked({ subject: 'x', jti: 'early' })).toBe(true)
    expect(
      await late.isRevoked({ subject: 'x', issuedAt: now - 1, claims: { sid: 'early-session' } }),
    ).toBe(true)
  })

  it('refuses a revocation longer than maxLifetime, and misconfiguration at creation', async () => {
    const where = names()
    const a = open({ ...where, maxLifetime: 600 })
    await a.ready()
    await expect(a.revokeSubject('alice', nowSeconds(), 601)).rejects.toThrow(RangeError)
    await expect(a.revokeToken('j', nowSeconds() + 700)).rejects.toThrow(RangeError)
    expect(await a.isRevoked({ subject: 'alice' })).toBe(false)
    for (const [option, bad] of [
      ['maxLifetime', { maxLifetime: 0 }],
      ['subject', { subject: 'a.*' }],
      ['stream', { stream: 'a.b' }],
      ['claims', { claims: ['a:b'] }],
    ] as const) {
      expect(() =>
        createNatsRevocationStore(Object.assign({ nats: server.url, maxLifetime: 60 }, bad)),
      ).toThrow(expect.objectContaining({ option }))
    }
    // The stream exists and keeps events 600 + 300 s: a store needing longer refuses to start.
    const longer = open({ ...where, maxLifetime: 3600 })
    await expect(longer.ready()).rejects.toThrow(AuthConfigError)
    await expect(longer.isRevoked({ subject: 'alice' })).rejects.toThrow(/maxLifetime/)
  })
})

describe('nats revocation store: outage', () => {
  it('fails closed while the server is down (503, handler not run), then recovers with what was revoked meanwhile', async () => {
    const where = names()
    const b = open(where)
    await b.ready()
    const { app, ran, lastRejection } = createStoreApp({ revocation: b })
    const token = await signToken({ sub: 'alice', sid: 'sess-1' })
    expect((await request(app).get('/me').auth(token, { type: 'bearer' })).status).toBe(200)
    expect(ran()).toBe(1)

    await server.stop()
    await eventually(b, { subject: 'alice' }).toBe('unavailable')
    const res = await request(app).get('/me').auth(token, { type: 'bearer' })
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    // As for every store outage: a 503 is no verdict on the token, so it carries no challenge.
    expect(res.headers['www-authenticate']).toBeUndefined()
    expect(res.body.code).toBe('ERR_AUTH_STORE_UNAVAILABLE')
    expect(lastRejection()?.code).toBe('ERR_AUTH_STORE_UNAVAILABLE')
    expect(ran()).toBe(1)

    await server.start()
    // Another instance, connected to the restarted server, revokes the session meanwhile.
    const c = open(where)
    await c.ready()
    await c.revokeClaim('sid', 'sess-1', nowSeconds() + 1, 600)
    await eventually(b, {
      subject: 'alice',
      issuedAt: nowSeconds(),
      claims: { sid: 'sess-1' },
    }).toBe(true)
    const after = await request(app).get('/me').auth(token, { type: 'bearer' })
    expect(after.status).toBe(401)
    expect(after.headers['www-authenticate']).toContain('error="invalid_token"')
    expect(ran()).toBe(1)
  }, 30_000)
})

describe('nats revocation store: shutdown', () => {
  it('closes at once even when the server never came up, and answers nothing meanwhile', async () => {
    // A loopback port nothing listens on (the file's server is on another).
    const store = createNatsRevocationStore({ nats: 'nats://127.0.0.1:1', maxLifetime: 60 })
    await expect(store.isRevoked({ subject: 'alice' })).rejects.toThrow(/not caught up/)
    await store.close()
    await expect(store.isRevoked({ subject: 'alice' })).rejects.toThrow()
  })
})

describe('nats revocation store: server down at start', () => {
  it('keeps trying, answers nothing meanwhile, and catches up once the server is there', async () => {
    const where = names()
    const a = open(where)
    await a.ready()
    await a.revokeToken('before-outage', nowSeconds() + 60)
    await server.stop()
    const late = open(where)
    await expect(late.isRevoked({ subject: 'x', jti: 'before-outage' })).rejects.toThrow(
      /not caught up/,
    )
    await server.start()
    await late.ready()
    expect(await late.isRevoked({ subject: 'x', jti: 'before-outage' })).toBe(true)
  }, 30_000)
})

describe('nats invalidation channel', () => {
  it('carries events between instances, turns garbage into all, and is not connected while down', async () => {
    const subject = names().subject
    const a = createNatsInvalidationChannel({ nats: server.url, subject })
    const b = createNatsInvalidationChannel({ nats: server.url, subject })
    const events: Invalidation[] = []
    b.subscribe((event) => events.push(event))
    // A cache over another store (here memory) that follows the channel.
    const inner = createMemoryUserStore([{ username: 'alice', roles: ['user'] }])
    const users = cacheUserStore(inner, { invalidations: b, ttl: 60_000 })
    await expect.poll(() => a.connected && b.connected, { timeout: 5000, interval: 20 }).toBe(true)
    expect((await users.findUser('alice'))?.roles).toEqual(['user'])
    inner.setUser({ username: 'alice', roles: ['admin'] })
    await a.publish({ type: 'user', username: 'alice' })
    await a.publish({ type: 'claim', claim: 'sid', value: 's-1' })
    await expect
      .poll(() => events, { timeout: 3000, interval: 10 })
      .toContainEqual({ type: 'claim', claim: 'sid', value: 's-1' })
    expect((await users.findUser('alice'))?.roles).toEqual(['admin'])

    const plain = await connect({ servers: server.url })
    events.length = 0
    plain.publish(subject, '{"type":"user"}')
    plain.publish(subject, 'x'.repeat(9000))
    await expect
      .poll(() => events, { timeout: 3000, interval: 10 })
      .toEqual([{ type: 'all' }, { type: 'all' }])
    await plain.close()

    await server.stop()
    await expect.poll(() => b.connected, { timeout: 10_000, interval: 20 }).toBe(false)
    await server.start()
    // Both reconnect on their own; a publish while `a` is still reconnecting would fail (reported).
    await expect
      .poll(() => a.connected && b.connected, { timeout: 10_000, interval: 20 })
      .toBe(true)
    events.length = 0
    await a.publish({ type: 'token', jti: 't-9' })
    await expect
      .poll(() => events, { timeout: 3000, interval: 10 })
      .toContainEqual({ type: 'token', jti: 't-9' })
    await users.close()
    await a.close()
    await b.close()
  }, 30_000)
})
