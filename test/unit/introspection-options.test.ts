/**
 * Start-up refusals of `issuers[i].introspection`: every mistake is an AuthConfigError naming the
 * option, before any request.
 */
import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { AuthConfigError, createAuthenticator } from '../../src/index.js'
import type { IssuerOptions } from '../../src/index.js'
import { ed25519 } from '../helpers/keys.js'
import { ISSUER } from '../helpers/tokens.js'

type Introspection = NonNullable<IssuerOptions['introspection']>

const ENDPOINT = 'https://auth.example.org/introspect'
const good: Introspection = { endpoint: ENDPOINT, clientId: 'api', clientSecret: 'secret' }

function issuer(introspection: unknown, extra: Partial<IssuerOptions> = {}): IssuerOptions {
  return {
    issuer: ISSUER,
    audience: false,
    key: { pem: ed25519.publicPem },
    introspection: introspection as Introspection,
    ...extra,
  }
}

function refusal(issuers: IssuerOptions[]): AuthConfigError {
  try {
    createAuthenticator({ issuers })
  } catch (error) {
    expect(error).toBeInstanceOf(AuthConfigError)
    return error as AuthConfigError
  }
  throw new Error('accepted')
}

const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const privateJwk = { ...ecKey.privateKey.export({ format: 'jwk' }), alg: 'ES256' }

describe('introspection options', () => {
  it('accepts a complete configuration, with a secret or a private key', () => {
    expect(() => createAuthenticator({ issuers: [issuer(good)] })).not.toThrow()
    const pem = ecKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    const keyed = { ...good, clientSecret: undefined, clientKey: { pem, alg: 'ES256' } }
    expect(() => createAuthenticator({ issuers: [issuer(keyed)] })).not.toThrow()
    const jwk = { ...good, clientSecret: undefined, clientKey: { jwk: privateJwk } }
    expect(() => createAuthenticator({ issuers: [issuer(jwk)] })).not.toThrow()
  })

  it.each<[string, unknown, string]>([
    ['no client id', { ...good, clientId: undefined }, 'issuers[0].introspection.clientId'],
    ['an unknown member', { ...good, clientID: 'x' }, 'issuers[0].introspection.clientID'],
    [
      'an http endpoint',
      { ...good, endpoint: 'http://auth.example.org/i' },
      'issuers[0].introspection.endpoint',
    ],
    [
      'no credential',
      { ...good, clientSecret: undefined },
      'issuers[0].introspection.clientSecret',
    ],
    [
      'two credentials',
      { ...good, clientKey: { jwk: privateJwk } },
      'issuers[0].introspection.clientSecret',
    ],
    ['a bad jwt mode', { ...good, jwt: 'sometimes' }, 'issuers[0].introspection.jwt'],
    ['every 0 seconds', { ...good, jwt: { every: 0 } }, 'issuers[0].introspection.jwt.every'],
    ['a bad response', { ...good, response: 'xml' }, 'issuers[0].introspection.response'],
    ['a negative cacheTtl', { ...good, cacheTtl: -1 }, 'issuers[0].introspection.cacheTtl'],
    ['a fractional timeout', { ...good, timeout: 1.5 }, 'issuers[0].introspection.timeout'],
    [
      'a cache without set()',
      { ...good, cache: { get: () => undefined } },
      'issuers[0].introspection.cache',
    ],
    ['nothing to introspect', { ...good, opaque: false }, 'issuers[0].introspection.opaque'],
    [
      'a public JWK',
      { ...good, clientSecret: undefined, clientKey: { jwk: { kty: 'OKP' } } },
      'issuers[0].introspection.clientKey.jwk',
    ],
  ])('refuses %s, naming the option', (_what, introspection, option) => {
    expect(refusal([issuer(introspection)]).option).toBe(option)
  })

  it('refuses an endpoint left to discovery for an issuer without discovery', () => {
    const error = refusal([issuer({ ...good, endpoint: undefined })])
    expect(error.option).toBe('issuers[0].introspection.endpoint')
  })

  it('refuses a key that does not fit its algorithm, or none', () => {
    const pem = ecKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    const wrong = { ...good, clientSecret: undefined, clientKey: { pem, alg: 'RS256' } }
    expect(refusal([issuer(wrong)]).option).toBe('issuers[0].introspection.clientKey')
    const noAlg = {
      ...good,
      clientSecret: undefined,
      clientKey: { jwk: { ...privateJwk, alg: undefined } },
    }
    expect(refusal([issuer(noAlg)]).option).toBe('issuers[0].introspection.clientKey.alg')
  })

  it('refuses two issuers that take opaque tokens, naming the second', () => {
    const other = { ...issuer(good), issuer: 'https://other.example.org' }
    const error = refusal([issuer(good), other])
    expect(error.option).toBe('issuers[1].introspection.opaque')
    expect(error.message).toContain('issuers[0]')
    const jwtOnly = { ...other, introspection: { ...good, opaque: false, jwt: 'always' as const } }
    expect(() => createAuthenticator({ issuers: [issuer(good), jwtOnly] })).not.toThrow()
  })

  it('refuses introspection for the issuer of tokens without iss', () => {
    expect(refusal([issuer(good, { issuer: null })]).option).toBe('issuers[0].issuer')
  })
})
