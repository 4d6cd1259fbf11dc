import { describe, expect, it } from 'vitest'
import request from 'supertest'
import { APP_SETUPS, createTestApp } from '../helpers/app.js'
import type { ExpressVersion } from '../helpers/app.js'
import { ed25519, ed25519Other, es256, hmacSecret, rawEd25519Base64, rsa } from '../helpers/keys.js'
import { clock, ISSUER, NOW_S, sign, signHmac, tamper } from '../helpers/tokens.js'
import type { AuthenticateOptions } from '../../src/index.js'
import { expectRejected, invalidToken } from './expect.js'

const edIssuer = { issuer: ISSUER, key: { ed25519: rawEd25519Base64(ed25519) } }
const base: AuthenticateOptions = { issuers: [edIssuer], clock }

describe.each(APP_SETUPS)(
  'authenticate() on %s (req.auth declared: %s)',
  (version: ExpressVersion, declareAuth: boolean) => {
    const make = (options: Partial<AuthenticateOptions> = {}) =>
      createTestApp({ ...base, ...options }, { version, declareAuth, errorHandler: true })

    describe('bearer header', () => {
      it('accepts a valid EdDSA token and sets req.auth', async () => {
        const t = make()
        const token = await sign(ed25519.privateKey)
        const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
        expect(res.status).toBe(200)
        expect(res.body.auth).toMatchObject({
          subject: 'alice',
          issuer: ISSUER,
          roles: ['user'],
          scopes: [],
          source: 'header',
          header: { alg: 'EdDSA' },
          claims: { sub: 'alice', iss: ISSUER, exp: NOW_S + 600 },
        })
        expect(res.body.auth.token).toBeUndefined()
        expect(res.body.token).toBe(token)
        expect(t.ran()).toBe(1)
      })

      it.each([['bearer'], ['BEARER'], ['BeArEr']])('accepts the scheme spelled %s', async (s) => {
        const t = make()
        const token = await sign(ed25519.privateKey)
        const res = await request(t.app).get('/protected').set('Authorization', `${s}   ${token}`)
        expect(res.status).toBe(200)
      })

      it('answers 401 without error attribute when no credentials are sent', async () => {
        const t = make()
        const res = await request(t.app).get('/protected')
        expectRejected(res, t, 401, 'ERR_AUTH_TOKEN_MISSING', 'Bearer realm="api"')
      })

      it('treats another scheme as no bearer credential', async () => {
        const t = make()
        const res = await request(t.app).get('/protected').set('Authorization', 'Basic YTpi')
        expectRejected(res, t, 401, 'ERR_AUTH_TOKEN_MISSING', 'Bearer realm="api"')
      })

      it.each([
        ['Bearer', 'missing bearer token'],
        ['Bearer    ', 'missing bearer token'],
        ['Bearer a.b.c extra', 'malformed Authorization header'],
        ['Bearer a.b.c,Bearer x', 'malformed Authorization header'],
      ])('rejects %j as a malformed request', async (value, description) => {
        const t = make()
        const res = await request(t.app).get('/protected').set('Authorization', value)
        expectRejected(
          res,
          t,
          400,
          'ERR_AUTH_HEADER_MALFORMED',
          `Bearer realm="api", error="invalid_request", error_description="${description}"`,
        )
      })

      it('ignores tokens in the query string and other headers', async () => {
        const t = make()
        const token = await sign(ed25519.privateKey)
        const res = await request(t.app)
          .get(`/protected?access_token=${token}`)
          .set('X-Auth-Token', token)
        expectRejected(res, t, 401, 'ERR_AUTH_TOKEN_MISSING', 'Bearer realm="api"')
      })
    })

    describe('cookie', () => {
      const withCookie = (extra: Partial<AuthenticateOptions> = {}) =>
        make({ cookie: { name: 'access_cc' }, ...extra })

      it('accepts the token from the configured cookie and records the source', async () => {
        const t = withCookie()
        const token = await sign(ed25519.privateKey)
        const res = await request(t.app).get('/protected').set('Cookie', `access_cc=${token}`)
        expect(res.status).toBe(200)
        expect(res.body.auth.source).toBe('cookie')
      })

      it('decodes quoted and percent-encoded values as cookie-parser does', async () => {
        const t = withCookie()
        const token = await sign(ed25519.privateKey)
        const encoded = token.replace(/\./g, '%2E')
        const quoted = await request(t.app).get('/protected').set('Cookie', `access_cc="${token}"`)
        const percent = await request(t.app).get('/protected').set('Cookie', `access_cc=${encoded}`)
        expect([quoted.status, percent.status]).toEqual([200, 200])
      })

      it('is case-sensitive about the cookie name', async () => {
        const t = withCookie()
        const token = await sign(ed25519.privateKey)
        const res = await request(t.app).get('/protected').set('Cookie', `ACCESS_CC=${token}`)
        expectRejected(res, t, 401, 'ERR_AUTH_TOKEN_MISSING')
      })

      it('rejects the token cookie sent twice', async () => {
        const t = withCookie()
        const token = await sign(ed25519.privateKey)
        const res = await request(t.app)
          .get('/protected')
          .set('Cookie', `access_cc=${token}; other=1; access_cc=${token}`)
        expectRejected(res, t, 400, 'ERR_AUTH_CREDENTIALS_AMBIGUOUS')
      })

      it('accepts identical header and cookie tokens, recording the first source', async () => {
        const t = withCookie()
        const token = await sign(ed25519.privateKey)
        const res = await request(t.app)
          .get('/protected')
          .set('Cookie', `access_cc=${token}`)
          .set('Authorization', `Bearer ${token}`)
        expect(res.status).toBe(200)
        expect(res.body.auth.source).toBe('header')
      })

      it('rejects different header and cookie tokens by default', async () => {
        const t = withCookie()
        const a = await sign(ed25519.privateKey)
        const b = await sign(ed25519.privateKey, { claims: { sub: 'bob' } })
        const res = await request(t.app)
          .get('/protected')
          .set('Cookie', `access_cc=${a}`)
          .set('Authorization', `Bearer ${b}`)
        expectRejected(
          res,
          t,
          400,
          'ERR_AUTH_CREDENTIALS_AMBIGUOUS',
          'Bearer realm="api", error="invalid_request", error_description="cookie and Authorization header carry different tokens"',
        )
      })

      it.each([
        ['prefer-header', 'bob', 'header'],
        ['prefer-cookie', 'alice', 'cookie'],
      ] as const)('with conflict %s uses the preferred source', async (conflict, sub, source) => {
        const t = withCookie({ conflict })
        const a = await sign(ed25519.privateKey)
        const b = await sign(ed25519.privateKey, { claims: { sub: 'bob' } })
        const res = await request(t.app)
          .get('/protected')
          .set('Cookie', `access_cc=${a}`)
          .set('Authorization', `Bearer ${b}`)
        expect(res.status).toBe(200)
        expect(res.body.auth).toMatchObject({ subject: sub, source })
      })

      it('reads only the cookie with sources: ["cookie"]', async () => {
        const t = withCookie({ sources: ['cookie'] })
        const token = await sign(ed25519.privateKey)
        const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
        expectRejected(res, t, 401, 'ERR_AUTH_TOKEN_MISSING')
      })

      it('reads an unsigned token cookie without cookie-parser', async () => {
        const t = createTestApp(
          { ...base, cookie: { name: 'access_cc' } },
          { version, declareAuth, errorHandler: true, cookieParser: false },
        )
        const token = await sign(ed25519.privateKey)
        const res = await request(t.app)
          .get('/protected')
          .set('Cookie', `theme=dark; access_cc="${token}"; lang=en`)
        expect(res.status).toBe(200)
        expect(res.body.auth).toMatchObject({ subject: 'alice', source: 'cookie' })
        expect(t.ran()).toBe(1)
      })

      it('rejects a token cookie sent twice, with or without cookie-parser', async () => {
        for (const cookieParser of [true, false]) {
          const t = createTestApp(
            { ...base, cookie: { name: 'access_cc' } },
            { version, declareAuth, errorHandler: true, cookieParser },
          )
          const token = await sign(ed25519.privateKey)
          const res = await request(t.app)
            .get('/protected')
            .set('Cookie', `access_cc=${token}; access_cc=${token}`)
          expectRejected(res, t, 400, 'ERR_AUTH_CREDENTIALS_AMBIGUOUS')
        }
      })

      // The header token's scan for whitespace and commas runs only when it is needed (a token
      // failing the compact gate, or a cookie token beside it): the answers stay those of a scan
      // on reading.
      describe('a malformed Authorization header is refused first (400), wherever it is scanned', () => {
        const HEADER_MALFORMED = 'ERR_AUTH_HEADER_MALFORMED'

        it('alone, with a valid token followed by more', async () => {
          const t = withCookie()
          const token = await sign(ed25519.privateKey)
          for (const header of [`Bearer ${token}, x`, `Bearer ${token} x`, `Bearer a.b.c\tx`]) {
            const res = await request(t.app).get('/protected').set('Authorization', header)
            expectRejected(res, t, 400, HEADER_MALFORMED)
          }
        })

        it('even when longer than maxTokenLength', async () => {
          const t = withCookie({ maxTokenLength: 64 })
          const res = await request(t.app)
            .get('/protected')
            .set('Authorization', `Bearer ${'a'.repeat(80)} ${'b'.repeat(10)}`)
          expectRejected(res, t, 400, HEADER_MALFORMED)
        })

        it.each(['reject', 'prefer-header', 'prefer-cookie'] as const)(
          'beside a valid cookie token, with conflict %s',
          async (conflict) => {
            const t = withCookie({ conflict })
            const token = await sign(ed25519.privateKey)
            const res = await request(t.app)
              .get('/protected')
              .set('Cookie', `access_cc=${token}`)
              .set('Authorization', `Bearer ${token} extra`)
            expectRejected(res, t, 400, HEADER_MALFORMED)
          },
        )

        it('before a cookie that fails, when the header is read first', async () => {
          const t = createTestApp(
            { ...base, cookie: { name: 'access_cc', signed: true } },
            { version, declareAuth, errorHandler: true, cookieParser: false },
          )
          const res = await request(t.app)
            .get('/protected')
            .set('Authorization', 'Bearer a.b.c extra')
          expectRejected(res, t, 400, HEADER_MALFORMED)
        })
      })
    })

    describe('signed cookie', () => {
      const signedApp = () => make({ cookie: { name: 'access_cc', signed: true } })
      const signCookie = async (value: string) => {
        const { default: signature } = await import('cookie-signature')
        return `s:${signature.sign(value, 'cookie-signing-secret-for-tests')}`
      }

      it('accepts a correctly signed cookie', async () => {
        const t = signedApp()
        const token = await sign(ed25519.privateKey)
        const cookie = encodeURIComponent(await signCookie(token))
        const res = await request(t.app).get('/protected').set('Cookie', `access_cc=${cookie}`)
        expect(res.status).toBe(200)
      })

      it('rejects a tampered signed cookie as a bad credential, not as anonymous', async () => {
        const t = signedApp()
        const token = await sign(ed25519.privateKey)
        const cookie = encodeURIComponent((await signCookie(token)).slice(0, -2) + 'xx')
        const res = await request(t.app).get('/protected').set('Cookie', `access_cc=${cookie}`)
        expectRejected(
          res,
          t,
          401,
          'ERR_AUTH_COOKIE_SIGNATURE_INVALID',
          invalidToken('invalid cookie signature'),
        )
      })

      it('fails closed with 500 when cookie-parser is not mounted', async () => {
        const t = createTestApp(
          { ...base, cookie: { name: 'access_cc', signed: true } },
          { version, declareAuth, errorHandler: true, cookieParser: false },
        )
        const token = await sign(ed25519.privateKey)
        const cookie = encodeURIComponent(await signCookie(token))
        const res = await request(t.app).get('/protected').set('Cookie', `access_cc=${cookie}`)
        expect(res.status).toBe(500)
        expect(res.body.code).toBe('ERR_AUTH_COOKIE_PARSER_MISSING')
        expect(t.ran()).toBe(0)
      })

      it('rejects an unsigned cookie where a signed one is required', async () => {
        const t = signedApp()
        const token = await sign(ed25519.privateKey)
        const res = await request(t.app).get('/protected').set('Cookie', `access_cc=${token}`)
        expectRejected(res, t, 401, 'ERR_AUTH_COOKIE_SIGNATURE_INVALID')
      })
    })

    describe('optional credentials', () => {
      it('lets an anonymous request through without req.auth', async () => {
        const t = make({ credentials: 'optional' })
        const res = await request(t.app).get('/protected')
        expect(res.status).toBe(200)
        expect(res.body.auth).toBeNull()
      })

      it('still rejects a present but invalid token, with its reason', async () => {
        const t = make({ credentials: 'optional' })
        const token = await sign(ed25519.privateKey, { claims: { exp: NOW_S - 60 } })
        const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
        expectRejected(res, t, 401, 'ERR_AUTH_TOKEN_EXPIRED', invalidToken('token expired'))
      })
    })

    describe('verification failures keep their own codes', () => {
      const cases: [string, () => Promise<string>, string, string][] = [
        [
          'expired',
          () => sign(ed25519.privateKey, { claims: { exp: NOW_S - 6 } }),
          'ERR_AUTH_TOKEN_EXPIRED',
          'token expired',
        ],
        [
          'not yet valid',
          () => sign(ed25519.privateKey, { claims: { nbf: NOW_S + 60 } }),
          'ERR_AUTH_TOKEN_NOT_YET_VALID',
          'token not yet valid',
        ],
        [
          'issued in the future',
          () => sign(ed25519.privateKey, { claims: { iat: NOW_S + 60 } }),
          'ERR_AUTH_TOKEN_ISSUED_IN_FUTURE',
          'token issued in the future',
        ],
        [
          'signed by another key',
          () => sign(ed25519Other.privateKey),
          'ERR_AUTH_SIGNATURE_INVALID',
          'invalid signature',
        ],
        [
          'from an untrusted issuer',
          () => sign(ed25519.privateKey, { claims: { iss: 'https://evil.example' } }),
          'ERR_AUTH_ISSUER_UNTRUSTED',
          'untrusted issuer',
        ],
        [
          'without iss',
          () => sign(ed25519.privateKey, { claims: { iss: undefined } }),
          'ERR_AUTH_ISSUER_UNTRUSTED',
          'untrusted issuer',
        ],
        [
          'without exp',
          () => sign(ed25519.privateKey, { claims: { exp: undefined } }),
          'ERR_AUTH_CLAIMS_INVALID',
          "missing 'exp' claim",
        ],
        [
          'with an empty sub',
          () => sign(ed25519.privateKey, { claims: { sub: '' } }),
          'ERR_AUTH_CLAIMS_INVALID',
          'sub',
        ],
        [
          'with a forged payload',
          async () => tamper(await sign(ed25519.privateKey), { payload: { sub: 'admin' } }),
          'ERR_AUTH_SIGNATURE_INVALID',
          'invalid signature',
        ],
        [
          'with alg none',
          async () => tamper(await sign(ed25519.privateKey), { header: { alg: 'none' } }),
          'ERR_AUTH_TOKEN_HEADER_INVALID',
          'unsecured tokens are not accepted',
        ],
        [
          'with an algorithm not locked for the key',
          () => sign(es256.privateKey, { alg: 'ES256' }),
          'ERR_AUTH_ALG_NOT_ALLOWED',
          'algorithm not allowed',
        ],
        [
          'that is not a JWT',
          async () => 'not-a-token',
          'ERR_AUTH_TOKEN_MALFORMED',
          'malformed token',
        ],
        [
          'that is encrypted (five parts)',
          async () => 'a.b.c.d.e',
          'ERR_AUTH_TOKEN_HEADER_INVALID',
          'encrypted tokens (JWE) are not accepted',
        ],
        [
          'with an unknown typ',
          () => sign(ed25519.privateKey, { typ: 'at+jwt' }),
          'ERR_AUTH_TOKEN_HEADER_INVALID',
          "unexpected 'typ'",
        ],
        [
          'longer than maxTokenLength',
          async () => `${'a'.repeat(9000)}.b.c`,
          'ERR_AUTH_TOKEN_TOO_LONG',
          'token too long',
        ],
      ]
      it.each(cases)('rejects a token %s', async (_name, mint, code, description) => {
        const t = make()
        const res = await request(t.app)
          .get('/protected')
          .set('Authorization', `Bearer ${await mint()}`)
        expect(res.status).toBe(401)
        expect(res.body.code).toBe(code)
        expect(res.headers['www-authenticate']).toMatch(
          /^Bearer realm="api", error="invalid_token", error_description="/,
        )
        expect(res.headers['www-authenticate']).toContain(description.replace(/"/g, '?'))
        expect(t.ran()).toBe(0)
      })

      it('accepts a token expired within the clock tolerance (5 s by default)', async () => {
        const t = make()
        const token = await sign(ed25519.privateKey, { claims: { exp: NOW_S - 4 } })
        const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
        expect(res.status).toBe(200)
      })

      it('never puts the token into a response', async () => {
        const t = make()
        const token = tamper(await sign(ed25519.privateKey), { payload: { sub: 'mallory' } })
        const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
        expect(res.status).toBe(401)
        expect(JSON.stringify(res.headers) + res.text).not.toContain(token.split('.')[1])
      })
    })

    describe('audience', () => {
      const withAud = () =>
        make({ issuers: [{ ...edIssuer, audience: ['api://one', 'api://two'] }] })
      it.each([['api://two'], [['x', 'api://one']]])('accepts aud %j', async (aud) => {
        const t = withAud()
        const token = await sign(ed25519.privateKey, { claims: { aud } })
        const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
        expect(res.status).toBe(200)
      })
      it.each([['api://three'], ['API://ONE'], [[]], [undefined]])(
        'rejects aud %j',
        async (aud) => {
          const t = withAud()
          const token = await sign(ed25519.privateKey, { claims: { aud } })
          const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
          expectRejected(
            res,
            t,
            401,
            'ERR_AUTH_AUDIENCE_INVALID',
            invalidToken("unexpected 'aud' claim value"),
          )
        },
      )
      it('does not require aud when none is configured', async () => {
        const t = make()
        const token = await sign(ed25519.privateKey, { claims: { aud: 'anything' } })
        const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
        expect(res.status).toBe(200)
      })
    })

    describe('several issuers', () => {
      const options: Partial<AuthenticateOptions> = {
        issuers: [
          edIssuer,
          {
            issuer: 'https://aot.example',
            key: { secret: hmacSecret, encoding: 'utf8' },
            claims: 'authotron',
            username: 'username',
          },
          { issuer: null, key: { pem: es256.publicPem } },
        ],
      }
      it('verifies each token with its own issuer key only', async () => {
        const t = make(options)
        const aot = await signHmac({
          claims: {
            iss: 'https://aot.example',
            sub: 'ecmwf-bob',
            username: 'bob',
            realm: 'ecmwf',
            roles: ['a'],
            scopes: { p: ['read', 'write'] },
          },
        })
        const local = await sign(es256.privateKey, { alg: 'ES256', claims: { iss: undefined } })
        const r1 = await request(t.app).get('/protected').set('Authorization', `Bearer ${aot}`)
        const r2 = await request(t.app).get('/protected').set('Authorization', `Bearer ${local}`)
        expect(r1.status).toBe(200)
        expect(r1.body.auth).toMatchObject({
          subject: 'ecmwf-bob',
          scopes: ['read', 'write'],
          roles: ['a'],
        })
        expect(r2.status).toBe(200)
        expect(r2.body.auth.issuer).toBeUndefined()
      })
      it('does not let a token choose another issuer key by its iss', async () => {
        const t = make(options)
        // Signed with the HMAC secret but claiming the EdDSA issuer.
        const token = await signHmac({ claims: { iss: ISSUER } })
        const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
        expectRejected(res, t, 401, 'ERR_AUTH_ALG_NOT_ALLOWED')
      })
      it('rejects an Auth-O-Tron token whose claims do not match the preset', async () => {
        const t = make(options)
        const token = await signHmac({ claims: { iss: 'https://aot.example', roles: 'admin' } })
        const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
        expectRejected(
          res,
          t,
          401,
          'ERR_AUTH_CLAIMS_INVALID',
          invalidToken('claims do not match the schema'),
        )
      })
    })

    describe('algorithms', () => {
      it.each([
        ['ES256 PEM', { pem: es256.publicPem }, () => sign(es256.privateKey, { alg: 'ES256' })],
        ['RS256 PEM', { pem: rsa.publicPem }, () => sign(rsa.privateKey, { alg: 'RS256' })],
        ['RS256 JWK', { jwk: rsa.publicJwk }, () => sign(rsa.privateKey, { alg: 'RS256' })],
        ['HS256 secret', { secret: hmacSecret, encoding: 'utf8' as const }, () => signHmac()],
      ])('verifies %s', async (_name, key, mint) => {
        const t = make({ issuers: [{ issuer: ISSUER, key }] })
        const res = await request(t.app)
          .get('/protected')
          .set('Authorization', `Bearer ${await mint()}`)
        expect(res.status).toBe(200)
      })
      it('verifies PS256 when it is in the locked list', async () => {
        const t = make({
          issuers: [{ issuer: ISSUER, key: { pem: rsa.publicPem }, algorithms: ['PS256'] }],
        })
        const ok = await sign(rsa.privateKey, { alg: 'PS256' })
        const rs = await sign(rsa.privateKey, { alg: 'RS256' })
        const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${rs}`)
        expectRejected(res, t, 401, 'ERR_AUTH_ALG_NOT_ALLOWED')
        expect(
          (await request(t.app).get('/protected').set('Authorization', `Bearer ${ok}`)).status,
        ).toBe(200)
      })
      it('refuses HS384 against an HS256-only secret', async () => {
        const t = make({
          issuers: [{ issuer: ISSUER, key: { secret: hmacSecret, encoding: 'utf8' } }],
        })
        const token = await signHmac({ alg: 'HS384' })
        const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
        expectRejected(res, t, 401, 'ERR_AUTH_ALG_NOT_ALLOWED')
      })
    })

    describe('roles and scopes', () => {
      it('reads roles from a nested claim and scopes from a scope string', async () => {
        const t = make({ issuers: [{ ...edIssuer, rolesClaim: 'realm_access.roles' }] })
        const token = await sign(ed25519.privateKey, {
          claims: { realm_access: { roles: ['admin'] }, scope: 'read  write' },
        })
        const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
        expect(res.body.auth).toMatchObject({ roles: ['admin'], scopes: ['read', 'write'] })
      })
      it('rejects a roles claim of the wrong type', async () => {
        const t = make()
        const token = await sign(ed25519.privateKey, { claims: { roles: [1, 2] } })
        const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
        expectRejected(res, t, 401, 'ERR_AUTH_CLAIMS_INVALID', invalidToken('invalid roles claim'))
      })
    })
  },
)

describe('without an error handler (Express default handler)', () => {
  it.each(APP_SETUPS)(
    '%s (req.auth declared: %s) still answers with status and WWW-Authenticate',
    async (version, declareAuth) => {
      const t = createTestApp(base, { version, declareAuth })
      const token = await sign(ed25519.privateKey, { claims: { exp: NOW_S - 60 } })
      const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toBe(invalidToken('token expired'))
      expect(res.text).not.toContain(token)
      expect(t.ran()).toBe(0)
    },
  )
})
