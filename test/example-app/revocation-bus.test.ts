/**
 * The example app's REVOCATION_BUS: the variables it needs (each mistake names its variable), and
 * for each bus (Redis, PostgreSQL, NATS with a server of this file's own) a logout on one
 * instance refusing the session's token on another, while the subject's other session goes on.
 */
import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExampleApp } from '../../example-app/app/app.js'
import { parseAppConfig } from '../../example-app/app/config.js'
import { openApp } from '../../example-app/app/open.js'
import { rawPublicKeyBase64 } from '../../example-app/shared/ed25519.js'
import { ConfigError, type Env } from '../../example-app/shared/env.js'
import { startNatsServer, type NatsTestServer } from '../stores/nats-server.js'
import { POSTGRES_URL, REDIS_URL, serviceAvailable } from '../stores/services.js'
import { ISSUER, keyPair } from './helpers.js'

const signer = keyPair()
const base: Env = { JWT_ISSUER: ISSUER, JWT_PUBLIC_KEY: rawPublicKeyBase64(signer.publicKey) }
const opened: ExampleApp[] = []
let nats: NatsTestServer
const redisUp = await serviceAvailable('redis', 'example app REVOCATION_BUS=redis')
const postgresUp = await serviceAvailable('postgres', 'example app REVOCATION_BUS=postgres')
beforeAll(async () => {
  nats = await startNatsServer()
}, 20_000)
afterAll(async () => {
  await Promise.all(opened.map((app) => app.close()))
  await nats.dispose()
})

function configError(env: Env): ConfigError {
  try {
    parseAppConfig({ ...base, ...env })
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('no ConfigError')
}

async function token(sid: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ sid })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject('alice')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(signer.privateKey)
}

describe('REVOCATION_BUS configuration', () => {
  it.each([
    [{ REVOCATION_BUS: 'kafka' }, 'REVOCATION_BUS', /must be redis, postgres or nats/],
    [{ REVOCATION_BUS: 'redis' }, 'REDIS_URL', /required with REVOCATION_BUS=redis/],
    [{ REVOCATION_BUS: 'postgres' }, 'DATABASE_URL', /required with REVOCATION_BUS=postgres/],
    [{ REVOCATION_BUS: 'nats' }, 'NATS_URL', /required with REVOCATION_BUS=nats/],
    [{ REVOCATION_BUS: 'nats', NATS_URL: 'http://x' }, 'NATS_URL', /nats:\/\//],
    [{ REVOCATION_BUS: 'redis', REDIS_URL: 'x' }, 'REDIS_URL', /redis:\/\//],
    [{ NATS_URL: 'nats://127.0.0.1:4222' }, 'NATS_URL', /REVOCATION_BUS is not nats/],
    [{ REDIS_URL: 'redis://127.0.0.1' }, 'REDIS_URL', /DPoP is off/],
  ])('refuses %j naming %s', (env, variable, message) => {
    const error = configError(env)
    expect(error.variable).toBe(variable)
    expect(error.message).toMatch(message)
  })

  it('takes each bus with its URL, without the user check or DPoP', () => {
    const parse = (env: Env) => parseAppConfig({ ...base, ...env }).revocationBus
    expect(parse({ REVOCATION_BUS: 'Redis', REDIS_URL: 'redis://h:6379' })).toEqual({
      kind: 'redis',
      url: 'redis://h:6379',
    })
    expect(parse({ REVOCATION_BUS: 'postgres', DATABASE_URL: 'postgres://h/db' })).toEqual({
      kind: 'postgres',
      url: 'postgres://h/db',
    })
    expect(parse({ REVOCATION_BUS: 'nats', NATS_URL: 'nats://a:4222, nats://b:4222' })).toEqual({
      kind: 'nats',
      url: 'nats://a:4222, nats://b:4222',
    })
    expect(parse({})).toBeUndefined()
  })
})

describe('POST /api/logout reaches every instance', () => {
  const buses = [
    ['redis', () => ({ REDIS_URL }), !redisUp],
    ['postgres', () => ({ DATABASE_URL: POSTGRES_URL }), !postgresUp],
    ['nats', () => ({ NATS_URL: nats.url }), false],
  ] as const

  it.each(buses)(
    'over %s',
    async (bus, urls, skip) => {
      if (skip) return
      const env = { ...base, REVOCATION_BUS: bus, ...urls() }
      const [a, b] = await Promise.all([openApp(parseAppConfig(env)), openApp(parseAppConfig(env))])
      opened.push(a, b)
      const [mine, other] = [await token(randomUUID()), await token(randomUUID())]
      // The stores connect in the background; until then the gate answers 503.
      const status = (app: ExampleApp, jwt: string) =>
        request(app.app)
          .get('/api/me')
          .auth(jwt, { type: 'bearer' })
          .then((res) => res.status)
      await expect.poll(() => status(b, mine), { timeout: 10_000, interval: 50 }).toBe(200)
      await expect.poll(() => status(a, mine), { timeout: 10_000, interval: 50 }).toBe(200)

      await request(a.app).post('/api/logout').auth(mine, { type: 'bearer' }).expect(204)
      await expect.poll(() => status(b, mine), { timeout: 5000, interval: 20 }).toBe(401)
      const res = await request(b.app).get('/api/me').auth(mine, { type: 'bearer' })
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"')
      expect(await status(a, mine)).toBe(401)
      // The subject's other session is not revoked.
      expect(await status(b, other)).toBe(200)
      // Without a token the logout is refused before anything is revoked.
      await request(a.app).post('/api/logout').expect(401)
    },
    30_000,
  )
})
