import { describe, expect, it } from 'vitest'
import { checkRegisteredClaims } from '../../src/claims/registered.js'
import type { RegisteredClaimPolicy } from '../../src/claims/registered.js'
import { compilePath, readPath, readRoles, readScopes } from '../../src/claims/mapping.js'
import { authOTronClaims, clusterCockpitClaims, createAuthenticator } from '../../src/index.js'
import { hmacSecret } from '../helpers/keys.js'
import { ISSUER, clock, signHmac } from '../helpers/tokens.js'

const NOW = 1_800_000_000
const policy: RegisteredClaimPolicy = {
  issuer: 'https://iss',
  audience: undefined,
  clockTolerance: 5,
  maxTokenAge: undefined,
  requireExpiry: true,
}
const valid = { iss: 'https://iss', sub: 'u', exp: NOW + 60, iat: NOW, nbf: NOW }

function codeOf(payload: Record<string, unknown>, p: RegisteredClaimPolicy = policy): string {
  try {
    checkRegisteredClaims(payload, p, NOW)
    return 'PASS'
  } catch (error) {
    return (error as { code: string }).code
  }
}

describe('registered claims', () => {
  it('passes a valid payload', () => expect(codeOf(valid)).toBe('PASS'))

  it.each([
    ['exp as a string', { exp: String(NOW + 60) }, 'ERR_AUTH_CLAIMS_INVALID'],
    ['exp as a boolean', { exp: true }, 'ERR_AUTH_CLAIMS_INVALID'],
    ['exp as an array', { exp: [NOW + 60] }, 'ERR_AUTH_CLAIMS_INVALID'],
    ['exp null', { exp: null }, 'ERR_AUTH_CLAIMS_INVALID'],
    ['exp beyond the Date range', { exp: 9e12 }, 'ERR_AUTH_CLAIMS_INVALID'],
    ['exp missing', { exp: undefined }, 'ERR_AUTH_CLAIMS_INVALID'],
    ['exp just past the tolerance', { exp: NOW - 5 }, 'ERR_AUTH_TOKEN_EXPIRED'],
    ['nbf in the future', { nbf: NOW + 6 }, 'ERR_AUTH_TOKEN_NOT_YET_VALID'],
    ['nbf as a string', { nbf: 'now' }, 'ERR_AUTH_CLAIMS_INVALID'],
    ['iat in the future', { iat: NOW + 6 }, 'ERR_AUTH_TOKEN_ISSUED_IN_FUTURE'],
    ['iat NaN-like', { iat: -9e12 }, 'ERR_AUTH_CLAIMS_INVALID'],
    ['iss differing in case', { iss: 'https://ISS' }, 'ERR_AUTH_ISSUER_UNTRUSTED'],
    ['iss with a trailing slash', { iss: 'https://iss/' }, 'ERR_AUTH_ISSUER_UNTRUSTED'],
    ['iss as an array', { iss: ['https://iss'] }, 'ERR_AUTH_ISSUER_UNTRUSTED'],
    ['sub missing', { sub: undefined }, 'ERR_AUTH_CLAIMS_INVALID'],
    ['sub a number', { sub: 1 }, 'ERR_AUTH_CLAIMS_INVALID'],
    ['sub an object', { sub: { id: 'u' } }, 'ERR_AUTH_CLAIMS_INVALID'],
    ['jti a number', { jti: 1 }, 'ERR_AUTH_CLAIMS_INVALID'],
  ])('rejects %s', (_name, change, code) => {
    const payload: Record<string, unknown> = { ...valid, ...change }
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete payload[k]
    expect(codeOf(payload)).toBe(code)
  })

  it('accepts a missing exp only when expiry is optional', () => {
    const { exp: _exp, ...noExp } = valid
    expect(codeOf(noExp, { ...policy, requireExpiry: false })).toBe('PASS')
  })

  it('enforces maxTokenAge from iat, which then becomes required', () => {
    const aged = { ...policy, maxTokenAge: 60 }
    expect(codeOf({ ...valid, iat: NOW - 60 }, aged)).toBe('PASS')
    expect(codeOf({ ...valid, iat: NOW - 70 }, aged)).toBe('ERR_AUTH_TOKEN_TOO_OLD')
    const { iat: _iat, ...noIat } = valid
    expect(codeOf(noIat, aged)).toBe('ERR_AUTH_CLAIMS_INVALID')
  })

  it('refuses an iss on tokens of the issuer configured as null', () => {
    expect(codeOf(valid, { ...policy, issuer: null })).toBe('ERR_AUTH_ISSUER_UNTRUSTED')
    const { iss: _iss, ...noIss } = valid
    expect(codeOf(noIss, { ...policy, issuer: null })).toBe('PASS')
  })

  it.each([
    ['aud', ['a', 'x'], 'PASS'],
    ['aud', 'a', 'PASS'],
    ['aud', 'a ', 'ERR_AUTH_AUDIENCE_INVALID'],
    ['aud', ['A'], 'ERR_AUTH_AUDIENCE_INVALID'],
    ['aud', [['a']], 'ERR_AUTH_AUDIENCE_INVALID'],
    ['aud', { 0: 'a' }, 'ERR_AUTH_AUDIENCE_INVALID'],
  ])('checks %s %j against a configured audience', (_c, aud, code) => {
    expect(codeOf({ ...valid, aud }, { ...policy, audience: new Set(['a']) })).toBe(code)
  })
})

describe('claim mapping', () => {
  it('reads own properties only', () => {
    expect(readPath({ a: { b: 1 } }, compilePath('a.b'))).toBe(1)
    expect(readPath({}, compilePath('constructor'))).toBeUndefined()
    expect(readPath({ a: [1] }, compilePath('a.0'))).toBeUndefined()
  })

  it('reads a whole dotted name first, then the dotted path; an array path exactly', () => {
    const claims = { 'https://x.org/r': 1, a: { b: 2, 'c.d': 3 }, 'a.b': 4 }
    expect(readPath(claims, compilePath('https://x.org/r'))).toBe(1)
    expect(readPath(claims, compilePath('a.b'))).toBe(4)
    expect(readPath(claims, compilePath(['a', 'b']))).toBe(2)
    expect(readPath(claims, compilePath(['a', 'c.d']))).toBe(3)
    expect(readPath(claims, compilePath(['a.b']))).toBe(4)
    expect(readPath({ __proto__: { 'x.y': 1 } }, compilePath('x.y'))).toBeUndefined()
  })

  it('normalises roles and scopes', () => {
    const [roles, scope, scopes] = ['roles', 'scope', 'scopes'].map((p) => compilePath(p))
    expect(readRoles({ roles: 'admin' }, roles!)).toEqual(['admin'])
    expect(readScopes({ scope: ' a  b ' }, [scope!])).toEqual(['a', 'b'])
    expect(readScopes({ scopes: { p1: ['a', 'b'], p2: ['b', 'c'] } }, [scope!, scopes!])).toEqual([
      'a',
      'b',
      'c',
    ])
    expect(() => readScopes({ scope: 5 }, [scope!])).toThrow(
      expect.objectContaining({ code: 'ERR_AUTH_CLAIMS_INVALID' }),
    )
  })
})

describe('presets', () => {
  it('ClusterCockpit needs sub; roles are optional, as in cc-backend (an empty list)', () => {
    expect(
      clusterCockpitClaims.safeParse({ sub: 'u', roles: ['user'], name: { values: ['U'] } })
        .success,
    ).toBe(true)
    expect(clusterCockpitClaims.parse({ sub: 'u' }).roles).toEqual([])
    expect(clusterCockpitClaims.safeParse({ roles: ['user'] }).success).toBe(false)
    expect(clusterCockpitClaims.safeParse({ sub: 'u', roles: 'admin' }).success).toBe(false)
  })

  it('a ClusterCockpit token without roles is authenticated with none', async () => {
    const gate = createAuthenticator({
      issuers: [
        { issuer: ISSUER, key: { secret: hmacSecret, encoding: 'utf8' }, claims: 'clustercockpit' },
      ],
      clock,
    })
    const token = await signHmac({ claims: { roles: undefined } })
    const auth = await gate.authenticate({ headers: { authorization: `Bearer ${token}` } })
    expect(auth).toMatchObject({ subject: 'alice', roles: [], claims: { roles: [] } })
  })
  it('Auth-O-Tron accepts the scopes map and the documented array', () => {
    const base = { sub: 'r-u', username: 'u', realm: 'r', roles: [] }
    expect(authOTronClaims.safeParse({ ...base, scopes: { svc: ['read'] } }).success).toBe(true)
    expect(authOTronClaims.safeParse({ ...base, scopes: ['read'] }).success).toBe(true)
    expect(authOTronClaims.safeParse({ ...base, scopes: { svc: 'read' } }).success).toBe(false)
  })
})
