/**
 * The example app's operator contract for issue 23: `JWT_DISCOVERY=true` with `JWT_ISSUER` and no
 * key variable takes the keys from the issuer's discovery, and `GET /healthz` reports readiness
 * (200 ready, 503 not, the report as JSON). Against a real OpenID Provider on loopback.
 */
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import type { ExampleApp } from '../../example-app/app/app.js'
import { parseAppConfig } from '../../example-app/app/config.js'
import { openApp } from '../../example-app/app/open.js'
import { variableForOption } from '../../example-app/app/option-variable.js'
import { ConfigError, type Env } from '../../example-app/shared/env.js'
import { startOidcProvider } from '../helpers/oidc-provider.js'
import type { OidcProvider } from '../helpers/oidc-provider.js'
import { NOW, sign } from '../helpers/tokens.js'
import { ISSUER, keyPair } from './helpers.js'

const RESOURCE = 'https://api.example.test/'

let op: OidcProvider | undefined
let example: ExampleApp | undefined

afterEach(async () => {
  await example?.close()
  example = undefined
  await op?.close()
  op = undefined
})

function configError(env: Env): ConfigError {
  try {
    parseAppConfig(env, () => '')
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected a ConfigError')
}

describe('JWT_DISCOVERY', () => {
  it('with JWT_ISSUER and no key variable: the issuer’s keys by discovery', () => {
    const config = parseAppConfig({ JWT_ISSUER: 'https://idp.example', JWT_DISCOVERY: 'true' })
    expect(config.authenticate.issuers[0]).toMatchObject({
      issuer: 'https://idp.example',
      key: { discovery: true },
    })
  })

  it('beside a key variable: refused, naming the key variable', () => {
    const err = configError({
      JWT_ISSUER: ISSUER,
      JWT_DISCOVERY: 'true',
      JWT_PUBLIC_KEY: keyPair().publicKeyBase64,
    })
    expect(err.variable).toBe('JWT_PUBLIC_KEY')
    expect(err.message).toMatch(/JWT_DISCOVERY=true/)
  })

  it('a value that is not true or false: refused', () => {
    expect(configError({ JWT_ISSUER: ISSUER, JWT_DISCOVERY: 'maybe' }).variable).toBe(
      'JWT_DISCOVERY',
    )
  })

  it('false: a key variable is still required, and the message names discovery', () => {
    const err = configError({ JWT_ISSUER: ISSUER, JWT_DISCOVERY: 'false' })
    expect(err.variable).toBe('JWT_PUBLIC_KEY')
    expect(err.message).toMatch(/JWT_DISCOVERY=true/)
  })

  it('an issuer discovery cannot use is reported as JWT_ISSUER (jwt-gate refuses it)', async () => {
    const env = { JWT_ISSUER: 'http://idp.example', JWT_DISCOVERY: 'true' }
    const error = await openApp(parseAppConfig(env)).then(
      () => undefined,
      (err: unknown) => err as { option: string },
    )
    expect(error?.option).toBe('issuers[0].issuer')
    expect(variableForOption(error!.option, env)).toBe('JWT_ISSUER')
  })
})

describe('GET /healthz with discovery against a real provider', () => {
  async function start(): Promise<void> {
    op = await startOidcProvider({ resources: [RESOURCE] })
    const config = parseAppConfig({
      JWT_ISSUER: op.issuer,
      JWT_DISCOVERY: 'true',
      JWT_AUDIENCE: RESOURCE,
    })
    example = await openApp(config, { clock: () => NOW })
  }

  it('503 until the keys are loaded, then 200 with the report; tokens of the issuer pass', async () => {
    await start()
    const before = await request(example!.app).get('/healthz')
    expect(before.status).toBe(503)
    expect(before.headers['cache-control']).toBe('no-store')
    expect(before.body).toEqual({
      ready: false,
      issuers: [{ issuer: op!.issuer, keysLoaded: false }],
    })

    await example!.warmUp()
    const after = await request(example!.app).get('/healthz')
    expect(after.status).toBe(200)
    expect(after.body).toMatchObject({
      ready: true,
      issuers: [{ issuer: op!.issuer, keysLoaded: true }],
    })
    expect(typeof after.body.issuers[0].lastFetch).toBe('string')

    const token = await sign(op!.key().privateKey, {
      alg: 'ES256',
      kid: op!.key().kid,
      claims: { iss: op!.issuer, aud: RESOURCE },
    })
    const me = await request(example!.app).get('/api/me').set('Authorization', `Bearer ${token}`)
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({ sub: 'alice', iss: op!.issuer })
  })

  it('the provider down at start: 503 with the reason, and /api/me is 503, not a pass', async () => {
    await start()
    const token = await sign(op!.key().privateKey, {
      alg: 'ES256',
      kid: op!.key().kid,
      claims: { iss: op!.issuer, aud: RESOURCE },
    })
    op!.down()
    await expect(example!.warmUp()).rejects.toMatchObject({ code: 'ERR_AUTH_KEYS_UNAVAILABLE' })
    const health = await request(example!.app).get('/healthz')
    expect(health.status).toBe(503)
    expect(health.body.issuers[0].lastError).toMatch(/^discovery failed: /)
    const me = await request(example!.app).get('/api/me').set('Authorization', `Bearer ${token}`)
    expect(me.status).toBe(503)
    expect(me.headers['retry-after']).toBe('5')
  })

  it('static keys: always ready', async () => {
    const config = parseAppConfig({ JWT_ISSUER: ISSUER, JWT_PUBLIC_KEY: keyPair().publicKeyBase64 })
    example = await openApp(config)
    const health = await request(example.app).get('/healthz')
    expect(health.status).toBe(200)
    expect(health.body).toEqual({ ready: true, issuers: [{ issuer: ISSUER, keysLoaded: true }] })
  })
})
