/**
 * The logout token rules one by one (OpenID Connect Back-Channel Logout 1.0 §2.4, §2.6), with
 * tokens made here and signed with the real provider's own key where the rule is about the claims:
 * each refusal is a 400 with `{ error: 'invalid_request', error_description }` and
 * `Cache-Control: no-store`, and revokes nothing. The gate's clock is fixed.
 */
import { generateKeyPairSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import type { JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createMemoryReplayStore, createMemoryRevocationStore } from '../../src/stores/memory.js'
import { createRedisReplayStore, createRedisRevocationStore } from '../../src/stores/redis/index.js'
import type { RevocationStore } from '../../src/stores/types.js'
import { LOGIN_CLIENT_ID, startLoginProvider } from '../helpers/oidc-login.js'
import type { LoginProvider } from '../helpers/oidc-login.js'
import { closedPort, createTcpProxy } from '../helpers/tcp-proxy.js'
import { connectRedis, deleteKeys } from '../stores/redis-helpers.js'
import { serviceAvailable, uniqueName } from '../stores/services.js'
import { RESOURCE, startInstance } from './instances.js'
import type { Instance } from './instances.js'

const NOW = new Date('2026-12-05T06:00:00Z')
const NOW_S = NOW.getTime() / 1000
const clock = (): Date => NOW
const EVENT = 'http://schemas.openid.net/event/backchannel-logout'

let op: LoginProvider
let app: Instance
let strict: Instance
let store: RevocationStore

beforeAll(async () => {
  app = await startInstance()
  strict = await startInstance()
  op = await startLoginProvider({ resource: RESOURCE, backchannelLogoutUri: app.logoutUrl })
  store = createMemoryRevocationStore({ clock })
  app.attach(op.issuer, { store, replayStore: createMemoryReplayStore({ clock }), clock })
  strict.attach(op.issuer, {
    store: createMemoryRevocationStore({ clock }),
    replayStore: createMemoryReplayStore({ clock }),
    clock,
    logout: { requireTyp: true },
  })
})
afterAll(async () => {
  await Promise.all([app.close(), strict.close(), op.close()])
})

let count = 0
/** A valid logout token's claims, changed by `changes` (undefined deletes a claim). */
function claims(changes: Record<string, unknown> = {}): JWTPayload {
  const base: Record<string, unknown> = {
    iss: op.issuer,
    aud: LOGIN_CLIENT_ID,
    iat: NOW_S,
    exp: NOW_S + 120,
    jti: `jti-${++count}`,
    sid: `session-${count}`,
    sub: 'erin',
    events: { [EVENT]: {} },
  }
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete base[name]
    else base[name] = value
  }
  return base
}

async function sign(
  payload: JWTPayload,
  header: Record<string, unknown> = { typ: 'logout+jwt' },
  key: KeyObject = op.key.privateKey,
  alg = 'ES256',
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, kid: op.key.kid, ...header }).sign(key)
}

function form(token: string): string {
  return new URLSearchParams({ logout_token: token }).toString()
}

async function expectRefused(target: Instance, body: string, description: string, type?: string) {
  const res = await target.post(body, type)
  expect(res.status).toBe(400)
  expect(res.headers['cache-control']).toBe('no-store')
  expect(res.headers['content-type']).toMatch(/^application\/json/)
  expect(res.body).toEqual({ error: 'invalid_request', error_description: description })
}

describe('a valid logout token', () => {
  it('is answered 200 with Cache-Control: no-store and revokes its session', async () => {
    const payload = claims()
    const res = await app.post(form(await sign(payload)))
    expect(res.status).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.text).toBe('')
    const query = { subject: 'erin', issuedAt: NOW_S, claims: { sid: payload.sid } }
    expect(await store.isRevoked(query)).toBe(true)
    expect(await store.isRevoked({ ...query, claims: { sid: 'another' } })).toBe(false)
  })

  it('passes with aud as an array naming the client, and with a plain JWT typ', async () => {
    const aud = ['another-client', LOGIN_CLIENT_ID]
    expect((await app.post(form(await sign(claims({ aud }))))).status).toBe(200)
    expect((await app.post(form(await sign(claims(), { typ: 'JWT' })))).status).toBe(200)
    expect((await app.post(form(await sign(claims(), {})))).status).toBe(200)
  })

  it('is refused the second time (replay), even though its revocation would change nothing', async () => {
    const token = await sign(claims())
    expect((await app.post(form(token))).status).toBe(200)
    await expectRefused(app, form(token), 'logout token replayed')
  })
})

describe('the request', () => {
  it('must be a form with exactly one logout_token', async () => {
    const token = await sign(claims())
    const form = 'expected an application/x-www-form-urlencoded body'
    await expectRefused(app, JSON.stringify({ logout_token: token }), form, 'application/json')
    await expectRefused(app, 'state=1', 'expected exactly one logout_token parameter')
    await expectRefused(
      app,
      `logout_token=${token}&logout_token=${token}`,
      'expected exactly one logout_token parameter',
    )
    await expectRefused(app, 'logout_token=', 'expected exactly one logout_token parameter')
  })
})

describe('the signature and header', () => {
  it('refuses what is not a JWS of a trusted issuer with its key and algorithms', async () => {
    await expectRefused(app, form('not-a-token'), 'malformed token')
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    await expectRefused(app, form(await sign(claims(), undefined, other)), 'invalid signature')
    const secret = Buffer.alloc(32, 7)
    await expectRefused(
      app,
      form(await sign(claims(), undefined, secret as unknown as KeyObject, 'HS256')),
      'algorithm not allowed',
    )
    await expectRefused(
      app,
      form(await sign(claims({ iss: 'https://evil.example' }))),
      'untrusted issuer',
    )
    await expectRefused(app, form(await sign(claims({ iss: undefined }))), "missing 'iss'")
  })

  it('refuses an access token (typ at+jwt), even the provider’s own', async () => {
    await expectRefused(app, form(await sign(claims(), { typ: 'at+jwt' })), "unexpected 'typ'")
    const login = await op.login({ user: 'frank' })
    await expectRefused(app, form(login.accessToken), "unexpected 'typ'")
  })

  it('with requireTyp, refuses a logout token without typ: logout+jwt', async () => {
    await expectRefused(strict, form(await sign(claims(), {})), "missing 'typ'")
    await expectRefused(strict, form(await sign(claims(), { typ: 'JWT' })), "unexpected 'typ'")
    expect((await strict.post(form(await sign(claims())))).status).toBe(200)
  })
})

describe('the claims', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['aud of another client', { aud: 'another-client' }, "'aud' does not name this client"],
    ['no aud', { aud: undefined }, "'aud' does not name this client"],
    [
      'aud with a non-string beside the client',
      { aud: [LOGIN_CLIENT_ID, 5] },
      "'aud' does not name this client",
    ],
    ['an empty aud array', { aud: [] }, "'aud' does not name this client"],
    ['an exp outside the Date range', { exp: 1e13 }, "invalid 'exp'"],
    ['no iat', { iat: undefined }, "missing 'iat'"],
    ['a string iat', { iat: String(NOW_S) }, "invalid 'iat'"],
    ['iat in the future', { iat: NOW_S + 60 }, "'iat' is in the future"],
    ['iat older than the window', { iat: NOW_S - 301 }, "'iat' is too old"],
    ['an expired token', { iat: NOW_S - 200, exp: NOW_S - 10 }, 'logout token expired'],
    ['no events', { events: undefined }, "missing or invalid 'events'"],
    ['events an array', { events: [EVENT] }, "missing or invalid 'events'"],
    ['another event', { events: { 'urn:other': {} } }, "'events' has no back-channel logout event"],
    [
      'the event not an object',
      { events: { [EVENT]: true } },
      "'events' has no back-channel logout event",
    ],
    ['neither sid nor sub', { sid: undefined, sub: undefined }, "neither 'sid' nor 'sub'"],
    ['an empty sid', { sid: '' }, "invalid 'sid'"],
    ['a nonce', { nonce: 'n-0S6_WzA2Mj' }, "a logout token carries no 'nonce'"],
    ['no jti', { jti: undefined }, "missing 'jti'"],
  ]
  it.each(cases)('refuses %s', async (_name, changes, description) => {
    const payload = claims(changes)
    await expectRefused(app, form(await sign(payload)), description)
    // Nothing was revoked.
    const query = { subject: 'erin', issuedAt: NOW_S - 1000, claims: { sid: payload.sid } }
    expect(await store.isRevoked(query)).toBe(false)
  })

  it('accepts iat within the clock tolerance ahead and the window behind', async () => {
    expect((await app.post(form(await sign(claims({ iat: NOW_S + 5 }))))).status).toBe(200)
    expect((await app.post(form(await sign(claims({ iat: NOW_S - 300 }))))).status).toBe(200)
  })
})

describe('the issuer’s keys unreachable', () => {
  it('answers 503, never a pass nor a 400', async () => {
    const issuer = `http://127.0.0.1:${await closedPort()}`
    const target = await startInstance()
    try {
      target.attach(issuer, {
        store: createMemoryRevocationStore({ clock }),
        replayStore: createMemoryReplayStore({ clock }),
        clock,
      })
      const res = await target.post(form(await sign(claims({ iss: issuer }))))
      expect(res.status).toBe(503)
      expect(res.headers['retry-after']).toBeDefined()
      expect((res.body as { error: string }).error).toBe('temporarily_unavailable')
    } finally {
      await target.close()
    }
  })
})

const redisUp = await serviceAvailable('redis', 'back-channel logout (Redis outage)')

describe.runIf(redisUp)('a store that is down', () => {
  it('answers 503 with Retry-After; once it is back, the provider’s retry succeeds', async () => {
    const prefix = `${uniqueName('bcl_down')}:`
    const proxy = await createTcpProxy(6379)
    const url = `redis://127.0.0.1:${proxy.port}`
    const revocations = createRedisRevocationStore({ redis: url, prefix, channel: false })
    const replay = createRedisReplayStore({ redis: url, prefix })
    const target = await startInstance()
    target.attach(op.issuer, {
      store: revocations,
      replayStore: replay,
      clock,
      logout: { timeout: 300 },
    })
    try {
      const body = form(await sign(claims({ sub: 'gina', sid: 'gina-laptop' })))
      proxy.set('cut')
      const down = await target.post(body)
      expect(down.status).toBe(503)
      expect(down.headers['retry-after']).toBe('5')
      expect(down.headers['cache-control']).toBe('no-store')
      expect(down.body).toEqual({
        error: 'temporarily_unavailable',
        error_description: 'service unavailable',
      })
      proxy.set('open')
      // The clients reconnect on their own; wait until both answer again.
      await vi.waitFor(() => revocations.isRevoked({ subject: 'nobody' }), { timeout: 5000 })
      await vi.waitFor(() => replay.remember(`${prefix}probe`, NOW_S + 60), { timeout: 5000 })
      const retried = await target.post(body)
      expect(retried.status).toBe(200)
      // The session is revoked (by its sid, the default), not the user's other session.
      const session = (sid: string) => ({
        subject: 'gina',
        issuer: op.issuer,
        issuedAt: NOW_S,
        claims: { iss: op.issuer, sub: 'gina', sid, iat: NOW_S },
      })
      expect(await revocations.isRevoked(session('gina-laptop'))).toBe(true)
      expect(await revocations.isRevoked(session('gina-phone'))).toBe(false)
    } finally {
      await Promise.all([target.close(), revocations.close(), replay.close(), proxy.stop()])
      const redis = await connectRedis()
      await deleteKeys(redis, prefix)
      redis.disconnect()
    }
  })
})
