/**
 * The JWT access-token profile (RFC 9068) of an issuer, `profile: 'rfc9068'`: the `typ` rule, the
 * required claims, the `scope` form, the roles it reads, and the options it refuses at start-up.
 */
import { describe, expect, it } from 'vitest'
import request from 'supertest'
import { AuthConfigError, createAuthenticator } from '../../src/index.js'
import type { AuthenticateOptions, IssuerOptions } from '../../src/index.js'
import { createTestApp } from '../helpers/app.js'
import { ed25519, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'
import type { SignOptions } from '../helpers/tokens.js'
import { expectRejected, invalidToken } from './expect.js'

const API = 'https://api.example.org'
const key = { ed25519: rawEd25519Base64(ed25519) }
const profileIssuer: IssuerOptions = { issuer: ISSUER, key, audience: API, profile: 'rfc9068' }

/** An RFC 9068 access token of {@link ISSUER} for {@link API}, with `typ` and claims changed. */
function accessToken(options: SignOptions = {}): Promise<string> {
  return sign(ed25519.privateKey, {
    typ: 'at+jwt',
    ...options,
    claims: { aud: API, client_id: 'client-1', jti: 'jti-1', scope: 'a b', ...options.claims },
  })
}

function gate(issuer: Partial<IssuerOptions> = {}, extra: Partial<AuthenticateOptions> = {}) {
  return createTestApp(
    { issuers: [{ ...profileIssuer, ...issuer }], clock, ...extra },
    { errorHandler: true },
  )
}

async function call(app: ReturnType<typeof gate>, token: string) {
  return request(app.app).get('/protected').set('Authorization', `Bearer ${token}`)
}

describe('RFC 9068 profile: accepted tokens', () => {
  it('accepts an access token and maps roles and scopes', async () => {
    const app = gate()
    const res = await call(app, await accessToken())
    expect(res.status).toBe(200)
    expect(res.body.auth).toMatchObject({ roles: ['user'], scopes: ['a', 'b'], subject: 'alice' })
    expect(app.ran()).toBe(1)
  })

  it.each(['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt'])(
    'accepts typ %s (RFC 7515 §4.1.9: any case, application/ optional)',
    async (typ) => {
      const app = gate()
      expect((await call(app, await accessToken({ typ }))).status).toBe(200)
    },
  )
})

describe('RFC 9068 profile: refused tokens (401, handler not run)', () => {
  it.each([
    ['JWT (an ID token)', 'JWT', "unexpected 'typ'"],
    ['application/jwt', 'application/jwt', "unexpected 'typ'"],
    ['none', undefined, "missing 'typ'"],
    ['another type', 'dpop+jwt', "unexpected 'typ'"],
  ])('typ %s', async (_name, typ, description) => {
    const app = gate()
    const token = await sign(ed25519.privateKey, {
      ...(typ === undefined ? {} : { typ }),
      claims: { aud: API, client_id: 'client-1', jti: 'jti-1' },
    })
    const res = await call(app, token)
    expectRejected(res, app, 401, 'ERR_AUTH_TOKEN_HEADER_INVALID', invalidToken(description))
  })

  const missing: [string, string, string][] = [
    ['iss', 'ERR_AUTH_ISSUER_UNTRUSTED', 'untrusted issuer'],
    ['exp', 'ERR_AUTH_CLAIMS_INVALID', "missing 'exp' claim"],
    ['aud', 'ERR_AUTH_CLAIMS_INVALID', "missing 'aud' claim"],
    ['sub', 'ERR_AUTH_CLAIMS_INVALID', "missing 'sub' claim"],
    ['client_id', 'ERR_AUTH_CLAIMS_INVALID', "missing 'client_id' claim"],
    ['iat', 'ERR_AUTH_CLAIMS_INVALID', "missing 'iat' claim"],
    ['jti', 'ERR_AUTH_CLAIMS_INVALID', "missing 'jti' claim"],
  ]
  it.each(missing)('without %s', async (claim, code, description) => {
    const app = gate()
    const res = await call(app, await accessToken({ claims: { [claim]: undefined } }))
    expectRejected(res, app, 401, code, invalidToken(description))
  })

  it.each([
    ['exp', 'tomorrow'],
    ['aud', []],
    ['aud', ['', API]],
    ['aud', 42],
    ['sub', ''],
    ['client_id', 7],
    ['client_id', ''],
    ['iat', '1700000000'],
    ['jti', 1],
    ['scope', ['a', 'b']],
    ['scope', 5],
    ['scope', 'a "b"'],
    ['scope', 'a\tb'],
  ])('with %s = %j', async (claim, value) => {
    const app = gate()
    const res = await call(app, await accessToken({ claims: { [claim]: value } }))
    expectRejected(
      res,
      app,
      401,
      'ERR_AUTH_CLAIMS_INVALID',
      invalidToken(`invalid '${claim}' claim`),
    )
  })

  it('still checks the audience against the configured one', async () => {
    const app = gate()
    const res = await call(app, await accessToken({ claims: { aud: 'https://other.example.org' } }))
    expectRejected(res, app, 401, 'ERR_AUTH_AUDIENCE_INVALID')
  })

  it('without the profile, the same issuer still takes a plain JWT', async () => {
    const app = gate({ profile: undefined })
    expect((await call(app, await accessToken({ typ: 'JWT' }))).status).toBe(200)
  })
})

describe('RFC 9068 profile beside an issuer without it', () => {
  const OTHER = 'https://legacy.example.org'
  const issuers: IssuerOptions[] = [profileIssuer, { issuer: OTHER, key, audience: API }]

  it("refuses a plain JWT of the profile's issuer, even once the same header was verified", async () => {
    const app = createTestApp({ issuers, clock }, { errorHandler: true })
    // Same key, same header {alg, typ: JWT}: the first verification makes it a known header.
    const legacy = await sign(ed25519.privateKey, { typ: 'JWT', claims: { iss: OTHER, aud: API } })
    expect((await call(app, legacy)).status).toBe(200)
    const idToken = await accessToken({ typ: 'JWT' })
    const res = await call(app, idToken)
    expect(res.status).toBe(401)
    expect(res.body.code).toBe('ERR_AUTH_TOKEN_HEADER_INVALID')
    expect(app.ran()).toBe(1)
  })
})

describe('RFC 9068 profile: roles', () => {
  async function rolesOf(claims: Record<string, unknown>, issuer: Partial<IssuerOptions> = {}) {
    const app = gate(issuer)
    const res = await call(app, await accessToken({ claims: { roles: undefined, ...claims } }))
    return { status: res.status, roles: res.body.auth?.roles, code: res.body.code }
  }

  it('merges roles, groups and entitlements, strings or SCIM objects with a value', async () => {
    const found = await rolesOf({
      roles: ['reader'],
      groups: [{ value: 'staff', display: 'Staff', $ref: 'https://scim.example.org/Groups/1' }],
      entitlements: ['export', { value: 'reader', type: 'app' }],
    })
    expect(found).toEqual({ status: 200, roles: ['reader', 'staff', 'export'], code: undefined })
  })

  it('takes a single string, and no claim as no roles', async () => {
    expect((await rolesOf({ groups: 'staff' })).roles).toEqual(['staff'])
    expect((await rolesOf({})).roles).toEqual([])
  })

  it.each([
    ['groups', [{ display: 'Staff' }]],
    ['entitlements', [{ value: 5 }]],
    ['roles', [['nested']]],
    ['groups', 7],
  ])('refuses %s = %j', async (claim, value) => {
    expect(await rolesOf({ [claim]: value })).toMatchObject({
      status: 401,
      code: 'ERR_AUTH_CLAIMS_INVALID',
    })
  })

  it('reads only the rolesClaim when the issuer sets one', async () => {
    const found = await rolesOf(
      { roles: ['reader'], groups: ['staff'], entitlements: ['export'] },
      { rolesClaim: 'groups' },
    )
    expect(found.roles).toEqual(['staff'])
  })

  it('reads scopes from scope only, unless scopesClaim says otherwise', async () => {
    const app = gate()
    const res = await call(
      app,
      await accessToken({ claims: { scope: undefined, scopes: ['x'], scp: ['y'] } }),
    )
    expect(res.body.auth.scopes).toEqual([])
    const custom = gate({ scopesClaim: 'scp' })
    const other = await call(custom, await accessToken({ claims: { scp: ['y'] } }))
    expect(other.body.auth.scopes).toEqual(['y'])
  })
})

describe('RFC 9068 profile: refused at start-up, naming the option', () => {
  it.each([
    ['audience', { audience: false }, /aud must be checked/],
    ['audience', { audience: undefined }, /is required \(or the gate's "resource"\)/],
    ['issuer', { issuer: null }, /"iss"/],
    ['requireExpiry', { requireExpiry: false }, /cannot be false/],
    ['typ', { typ: ['JWT'] }, /only "at\+jwt"/],
    ['profile', { profile: 'rfc7519' }, /must be "rfc9068"/],
  ])('%s', (option, fields, message) => {
    const options = { issuers: [{ ...profileIssuer, ...fields }] } as AuthenticateOptions
    let error: unknown
    try {
      createAuthenticator(options)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(AuthConfigError)
    expect((error as AuthConfigError).option).toBe(`issuers[0].${option}`)
    expect((error as AuthConfigError).message).toMatch(message)
  })

  it("takes the gate's resource as the audience the profile requires", () => {
    const issuer = { ...profileIssuer, audience: undefined }
    expect(() =>
      createAuthenticator({ issuers: [issuer], resource: 'https://api.example.org/mcp' }),
    ).not.toThrow()
  })
})
