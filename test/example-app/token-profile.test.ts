/**
 * The example app's `JWT_TOKEN_PROFILE=rfc9068`: the issuer follows RFC 9068, so its access tokens
 * pass and a plain JWT of the same issuer and key does not.
 */
import { describe, expect, it } from 'vitest'
import request from 'supertest'
import { SignJWT } from 'jose'
import { parseAppConfig } from '../../example-app/app/config.js'
import { variableForOption } from '../../example-app/app/option-variable.js'
import { ConfigError, type Env } from '../../example-app/shared/env.js'
import { createTestApp } from '../helpers/app.js'
import { ISSUER, keyPair } from './helpers.js'

const { privateKey, publicKeyBase64 } = keyPair()
const API = 'https://api.example.test'
const BASE: Env = { JWT_ISSUER: ISSUER, JWT_PUBLIC_KEY: publicKeyBase64, JWT_AUDIENCE: API }

function configError(env: Env): ConfigError {
  try {
    parseAppConfig(env, () => JSON.stringify({ jwts: { 'max-age': '1h' } }))
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected a ConfigError')
}

function token(typ: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ client_id: 'client-1', scope: 'reports:read' })
    .setProtectedHeader({ alg: 'EdDSA', typ })
    .setIssuer(ISSUER)
    .setAudience(API)
    .setSubject('client-1')
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .setJti('jti-1')
    .sign(privateKey)
}

describe('JWT_TOKEN_PROFILE', () => {
  it('is off when unset', () => {
    expect(parseAppConfig(BASE).authenticate.issuers[0]?.profile).toBeUndefined()
  })

  it.each(['rfc9068', 'RFC9068'])(
    '%s sets the issuer profile, enforced by the gate',
    async (value) => {
      const config = parseAppConfig({ ...BASE, JWT_TOKEN_PROFILE: value })
      expect(config.authenticate.issuers[0]?.profile).toBe('rfc9068')
      const app = createTestApp(config.authenticate, { errorHandler: true })
      const accepted = await request(app.app)
        .get('/protected')
        .set('Authorization', `Bearer ${await token('at+jwt')}`)
      expect(accepted.status).toBe(200)
      const refused = await request(app.app)
        .get('/protected')
        .set('Authorization', `Bearer ${await token('JWT')}`)
      expect({ status: refused.status, code: refused.body.code }).toEqual({
        status: 401,
        code: 'ERR_AUTH_TOKEN_HEADER_INVALID',
      })
      expect(app.ran()).toBe(1)
    },
  )

  it('refuses another value, naming the variable', () => {
    const err = configError({ ...BASE, JWT_TOKEN_PROFILE: 'rfc7519' })
    expect(err.variable).toBe('JWT_TOKEN_PROFILE')
    expect(err.message).toBe('JWT_TOKEN_PROFILE: must be rfc9068')
  })

  it('refuses ClusterCockpit tokens (CONFIG_FILE), which are not RFC 9068 access tokens', () => {
    const err = configError({
      CONFIG_FILE: '/config.json',
      JWT_PUBLIC_KEY: publicKeyBase64,
      JWT_TOKEN_PROFILE: 'rfc9068',
    })
    expect(err.variable).toBe('JWT_TOKEN_PROFILE')
    expect(err.message).toMatch(/CONFIG_FILE/)
  })

  it('is the variable behind the profile option', () => {
    expect(variableForOption('issuers[0].profile', {})).toBe('JWT_TOKEN_PROFILE')
  })
})
