/**
 * The example app's DPoP variables (issue 24): `JWT_DPOP`, `APP_PUBLIC_URL` (the origin proofs
 * name), `DPOP_REPLAY_STORE` with `REDIS_URL` or `DATABASE_URL`, `DPOP_NONCE_SECRET`. Each mistake
 * is refused at start naming its variable, whether the app or jwt-gate finds it; the app built
 * from the environment accepts a DPoP-bound token with a proof, refuses the proof's replay and the
 * token as a Bearer; two apps on one PostgreSQL replay store refuse each other's proofs.
 */
import { createHash, randomUUID } from 'node:crypto'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import type { JWK } from 'jose'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAppConfig } from '../../example-app/app/config.js'
import { openApp } from '../../example-app/app/open.js'
import type { ExampleApp } from '../../example-app/app/app.js'
import { variableForOption } from '../../example-app/app/option-variable.js'
import { ConfigError, type Env } from '../../example-app/shared/env.js'
import { verdict } from '../../src/cli/library.js'
import { ISSUER, keyPair } from './helpers.js'

const { privateKey, publicKeyBase64 } = keyPair()
const ORIGIN = 'https://app.example.test'
const BASE: Env = { JWT_ISSUER: ISSUER, JWT_PUBLIC_KEY: publicKeyBase64, JWT_AUDIENCE: 'app' }
const DPOP: Env = { ...BASE, JWT_DPOP: 'required', APP_PUBLIC_URL: ORIGIN }
const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'

/** The variable the app names when it refuses `env` (its parsing, then jwt-gate's), if any. */
async function refusedBy(env: Env): Promise<string | undefined> {
  let config
  try {
    config = parseAppConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.variable
    throw err
  }
  const { refusal } = await verdict(config.authenticate)
  return refusal === undefined ? undefined : (variableForOption(refusal.option, env) ?? 'unmapped')
}

describe('the DPoP variables', () => {
  it.each<[string, Env, string]>([
    ['an unknown mode', { ...DPOP, JWT_DPOP: 'sometimes' }, 'JWT_DPOP'],
    ['no public origin', { ...BASE, JWT_DPOP: 'allowed' }, 'APP_PUBLIC_URL'],
    ['a public URL with a path', { ...DPOP, APP_PUBLIC_URL: `${ORIGIN}/app` }, 'APP_PUBLIC_URL'],
    [
      'plain http off loopback',
      { ...DPOP, APP_PUBLIC_URL: 'http://app.example' },
      'APP_PUBLIC_URL',
    ],
    ['an unknown store', { ...DPOP, DPOP_REPLAY_STORE: 'etcd' }, 'DPOP_REPLAY_STORE'],
    ['redis without a URL', { ...DPOP, DPOP_REPLAY_STORE: 'redis' }, 'REDIS_URL'],
    [
      'redis with an http URL',
      { ...DPOP, DPOP_REPLAY_STORE: 'redis', REDIS_URL: 'http://127.0.0.1:6379' },
      'REDIS_URL',
    ],
    ['REDIS_URL with the memory store', { ...DPOP, REDIS_URL: 'redis://r' }, 'REDIS_URL'],
    ['postgres without a URL', { ...DPOP, DPOP_REPLAY_STORE: 'postgres' }, 'DATABASE_URL'],
    ['a short nonce secret', { ...DPOP, DPOP_NONCE_SECRET: 'x'.repeat(31) }, 'DPOP_NONCE_SECRET'],
    [
      'a nonce secret without DPoP',
      { ...BASE, DPOP_NONCE_SECRET: 'x'.repeat(32) },
      'DPOP_NONCE_SECRET',
    ],
    ['a store without DPoP', { ...BASE, DPOP_REPLAY_STORE: 'memory' }, 'DPOP_REPLAY_STORE'],
    ['DATABASE_URL for neither use', { ...DPOP, DATABASE_URL }, 'DATABASE_URL'],
  ])('refuses %s, naming the variable', async (_, env, variable) => {
    expect(await refusedBy(env)).toBe(variable)
  })

  it("sets the gate's dpop option: mode, origin, nonces; memory unless a store is named", async () => {
    const config = parseAppConfig({
      ...DPOP,
      JWT_DPOP: 'ALLOWED',
      DPOP_NONCE_SECRET: 'n'.repeat(32),
    })
    expect(await refusedBy({ ...DPOP, DPOP_NONCE_SECRET: 'n'.repeat(32) })).toBeUndefined()
    expect(config.authenticate.dpop).toMatchObject({
      mode: 'allowed',
      publicOrigin: ORIGIN,
      nonce: { secret: 'n'.repeat(32) },
    })
    expect(config.replayStore).toEqual({ kind: 'memory' })
    expect(parseAppConfig(BASE).authenticate.dpop).toBeUndefined()
    const postgres = parseAppConfig({ ...DPOP, DPOP_REPLAY_STORE: 'postgres', DATABASE_URL })
    expect(postgres.replayStore).toEqual({ kind: 'postgres', url: DATABASE_URL })
    expect(postgres.users).toBeUndefined()
    const redis = parseAppConfig({
      ...DPOP,
      DPOP_REPLAY_STORE: 'Redis',
      REDIS_URL: 'redis://r:6379',
    })
    expect(redis.replayStore).toEqual({ kind: 'redis', url: 'redis://r:6379' })
  })
})

let proofKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']
let proofJwk: JWK
let token: string

beforeAll(async () => {
  const pair = await generateKeyPair('ES256')
  proofKey = pair.privateKey
  proofJwk = await exportJWK(pair.publicKey)
  const now = Math.floor(Date.now() / 1000)
  token = await new SignJWT({ cnf: { jkt: await calculateJwkThumbprint(proofJwk) } })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(ISSUER)
    .setAudience('app')
    .setSubject('alice')
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(privateKey)
})

/** A fresh proof for GET <ORIGIN>/api/me. */
function proof(): Promise<string> {
  return new SignJWT({
    htm: 'GET',
    htu: `${ORIGIN}/api/me`,
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    ath: createHash('sha256').update(token).digest('base64url'),
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: proofJwk })
    .sign(proofKey)
}

const me = (example: ExampleApp, proofValue: string) =>
  request(example.app).get('/api/me').set('Authorization', `DPoP ${token}`).set('DPoP', proofValue)

describe('the app with JWT_DPOP=required', () => {
  let example: ExampleApp
  beforeAll(async () => {
    example = await openApp(parseAppConfig(DPOP))
  })
  afterAll(() => example.close())

  it('accepts a proof once, refuses its replay and the token as a Bearer', async () => {
    const once = await proof()
    const accepted = await me(example, once)
    expect([accepted.status, accepted.body.sub]).toEqual([200, 'alice'])
    const replayed = await me(example, once)
    expect([replayed.status, replayed.body.code]).toEqual([401, 'ERR_AUTH_DPOP_REPLAYED'])
    expect(replayed.body.sub).toBeUndefined()
    const bearer = await request(example.app).get('/api/me').set('Authorization', `Bearer ${token}`)
    expect(bearer.status).toBe(401)
    expect(bearer.body.sub).toBeUndefined()
    expect(String(bearer.headers['www-authenticate'])).toContain('DPoP')
  })
})

describe.each([
  { store: 'postgres', env: { DATABASE_URL } },
  { store: 'redis', env: { REDIS_URL: 'redis://127.0.0.1:6379' } },
])('two apps with DPOP_REPLAY_STORE=$store on one backend', ({ store, env }) => {
  let apps: ExampleApp[] = []
  beforeAll(async () => {
    const config = parseAppConfig({ ...DPOP, DPOP_REPLAY_STORE: store, ...env })
    apps = [await openApp(config), await openApp(config)]
    // warmUp() waits for each replay store's connection, as the app's main does at start-up.
    for (const example of apps) await example.warmUp()
  })
  afterAll(async () => {
    for (const example of apps) await example.close()
  })

  it('refuses on one a proof the other accepted (postgres: the default table, jwt_gate_replay)', async () => {
    const [a, b] = apps as [ExampleApp, ExampleApp]
    const once = await proof()
    expect((await me(a, once)).status).toBe(200)
    const replayed = await me(b, once)
    expect([replayed.status, replayed.body.code]).toEqual([401, 'ERR_AUTH_DPOP_REPLAYED'])
    expect((await me(b, await proof())).status).toBe(200)
  })
})

describe('the app whose DPoP replay store cannot be reached', () => {
  let example: ExampleApp
  beforeAll(async () => {
    example = await openApp(
      parseAppConfig({
        ...DPOP,
        DPOP_REPLAY_STORE: 'postgres',
        DATABASE_URL: 'postgres://127.0.0.1:1/test',
      }),
    )
  })
  afterAll(() => example.close())

  it('answers 503, never a pass', async () => {
    const reply = await me(example, await proof())
    expect([reply.status, reply.body.code]).toEqual([503, 'ERR_AUTH_STORE_UNAVAILABLE'])
    expect(reply.body.sub).toBeUndefined()
  })
})
