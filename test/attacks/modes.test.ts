/**
 * The same forgeries against the other ways an app can be set up: optional credentials (an
 * invalid token must never degrade to anonymous access, CWE-636 "fail open"), Express 4, signed
 * cookies (RFC 6265 cookie integrity via cookie-parser), the header/cookie preference policies,
 * and several issuers side by side (one of them without `iss`), where a token of one issuer must
 * never pass with the key of another.
 */
import { createHmac } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthErrorCode } from '../../src/index.js'
import { rawEd25519Base64 } from '../helpers/keys.js'
import { attackerKeys, issuerKeys } from './helpers/keys.js'
import { forge } from './helpers/forge.js'
import {
  expectPassed,
  expectAttackRejected,
  runAttackTable,
  send,
  startServer,
} from './helpers/harness.js'
import type { AttackRow, AttackServer } from './helpers/harness.js'
import { ISSUER, NOW, NOW_S } from '../helpers/tokens.js'
import { COOKIE, TARGETS, tokenFor, validClaims } from './helpers/targets.js'
import type { Target } from './helpers/targets.js'

const attackerKey = (t: Target): Buffer | KeyObject =>
  t.alg === 'HS256'
    ? attackerKeys.secret
    : t.alg === 'ES256'
      ? attackerKeys.es256.privateKey
      : t.alg === 'RS256'
        ? attackerKeys.rsa.privateKey
        : attackerKeys.ed25519.privateKey

/** One representative of each forgery class, every one carrying a token. */
const FORGERIES: AttackRow[] = [
  {
    ref: 'CVE-2015-9235',
    name: 'alg none with an empty signature',
    build: (t) => ({ token: tokenFor(t, { header: { alg: 'none' }, signature: Buffer.alloc(0) }) }),
  },
  {
    ref: 'CVE-2015-9235',
    name: 'alg NONE with the real signature',
    build: (t) => ({ token: tokenFor(t, { header: { alg: 'NONE' } }) }),
  },
  {
    ref: 'CVE-2016-5431',
    name: 'HS256 signed with the public PEM',
    applies: (t) => t.keys !== undefined,
    build: (t) => ({
      token: tokenFor(t, { header: { alg: 'HS256' }, alg: 'HS256', key: t.keys!.publicPem }),
    }),
  },
  {
    ref: 'attacker-keyed signature',
    name: 'signed by the attacker',
    build: (t) => ({ token: tokenFor(t, { key: attackerKey(t) }) }),
  },
  {
    ref: 'RFC 7515 §5.2',
    name: 'payload changed under the original signature',
    build: (t) => {
      const [, , signature] = tokenFor(t).split('.')
      const [header, payload] = tokenFor(t, { claims: { sub: 'admin' } }).split('.')
      return { token: `${header}.${payload}.${signature}` }
    },
  },
  {
    ref: 'RFC 7519 §4.1.4',
    name: 'expired',
    build: (t) => ({ token: tokenFor(t, { claims: { exp: NOW_S - 3600 } }) }),
  },
  {
    ref: 'RFC 7519 §4.1.1',
    name: 'untrusted issuer',
    build: (t) => ({ token: tokenFor(t, { claims: { iss: 'https://evil.example' } }) }),
  },
  {
    ref: 'RFC 7519 §4.1.3',
    name: 'wrong audience',
    build: (t) => ({ token: tokenFor(t, { claims: { aud: 'api://other' } }) }),
  },
  {
    ref: 'RFC 7515 §5.2',
    name: 'duplicate sub',
    build: (t) => ({
      token: tokenFor(t, {
        rawPayload: `${JSON.stringify(validClaims()).slice(0, -1)},"sub":"admin"}`,
      }),
    }),
  },
  {
    ref: 'RFC 7515 §4.1.11',
    name: 'unknown crit',
    build: (t) => ({ token: tokenFor(t, { header: { crit: ['x'], x: 1 } }) }),
  },
  {
    ref: 'RFC 7516',
    name: 'JWE with dir',
    build: () => ({
      token: `${Buffer.from('{"alg":"dir","enc":"A256GCM"}').toString('base64url')}.a.b.c.d`,
    }),
  },
  {
    ref: 'CWE-400',
    name: 'token over the length limit',
    build: (t) => ({ token: tokenFor(t, { claims: { pad: 'x'.repeat(7000) } }) }),
    codes: ['ERR_AUTH_TOKEN_TOO_LONG'],
  },
]

describe('optional credentials never fail open (CWE-636)', () => {
  const optional = TARGETS.map((t): Target => ({
    ...t,
    name: `${t.name}, optional`,
    options: () => ({ ...t.options(), credentials: 'optional' }),
  }))
  runAttackTable('forgeries with credentials optional', FORGERIES, optional)

  describe.each(optional)('anonymous access [$name]', (t) => {
    let srv: AttackServer
    beforeAll(async () => {
      srv = await startServer(t)
    })
    afterAll(async () => {
      await srv.close()
    })
    it('no credentials at all: the handler runs anonymously (the documented meaning of optional)', async () => {
      const before = srv.ran()
      const res = await send(srv, {})
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ subject: null })
      expect(srv.ran()).toBe(before + 1)
    })
    it('an empty bearer token is a malformed request, not anonymous access', async () => {
      const before = srv.ran()
      expectAttackRejected(await send(srv, { headers: { Authorization: 'Bearer' } }), srv, before, [
        'ERR_AUTH_HEADER_MALFORMED',
      ])
    })
  })
})

describe('Express 4', () => {
  const four = TARGETS.map((t): Target => ({ ...t, name: `${t.name}, express 4`, express4: true }))
  const extra: AttackRow[] = [
    {
      ref: 'RFC 9110 §5.3',
      name: 'two Authorization lines, raw',
      build: (t) => ({
        raw: [
          'GET /protected HTTP/1.1',
          'Host: x',
          `Authorization: Bearer ${tokenFor(t, { key: attackerKey(t) })}`,
          `Authorization: Bearer ${tokenFor(t)}`,
          'Connection: close',
          '',
          '',
        ].join('\r\n'),
      }),
      codes: ['ERR_AUTH_CREDENTIALS_AMBIGUOUS'],
    },
    {
      ref: 'RFC 6265 §4.2',
      name: 'token cookie twice',
      build: (t) => ({
        headers: {
          Cookie: `${COOKIE}=${tokenFor(t, { key: attackerKey(t) })}; ${COOKIE}=${tokenFor(t)}`,
        },
      }),
      codes: ['ERR_AUTH_CREDENTIALS_AMBIGUOUS'],
    },
  ]
  runAttackTable('forgeries on Express 4', [...FORGERIES, ...extra], four)
})

describe('with authErrorHandler (RFC 9457 problem details)', () => {
  for (const problemJson of [true, false]) {
    const handled = TARGETS.map((t): Target => ({
      ...t,
      name: `${t.name}, authErrorHandler problemJson ${problemJson}`,
      errorHandler: { problemJson },
    }))
    runAttackTable('forgeries with the error handler', FORGERIES, handled)
  }
})

describe('signed cookies', () => {
  const SECRET = 'cookie-parser-secret-for-the-attack-suite'
  const signCookie = (value: string, secret = SECRET): string =>
    encodeURIComponent(
      `s:${value}.${createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '')}`,
    )
  const signedTargets = TARGETS.map((t): Target => ({
    ...t,
    name: `${t.name}, signed cookie`,
    cookieSecret: SECRET,
    cookieValue: (token) => signCookie(token),
    options: () => ({ ...t.options(), cookie: { name: COOKIE, signed: true } }),
  }))
  const INVALID_SIGNATURE: AuthErrorCode[] = ['ERR_AUTH_COOKIE_SIGNATURE_INVALID']
  const rows: AttackRow[] = [
    {
      ref: 'RFC 6265 §8.6 (cookie integrity)',
      name: 'the valid token in an unsigned cookie',
      build: (t) => ({ headers: { Cookie: `${COOKIE}=${tokenFor(t)}` } }),
      codes: INVALID_SIGNATURE,
    },
    {
      ref: 'RFC 6265 §8.6 (cookie integrity)',
      name: 'the valid token signed with another cookie secret',
      build: (t) => ({
        headers: { Cookie: `${COOKIE}=${signCookie(tokenFor(t), 'another-secret')}` },
      }),
      codes: INVALID_SIGNATURE,
    },
    {
      ref: 'RFC 6265 §8.6 (cookie integrity)',
      name: 'a signed cookie with its token swapped',
      build: (t) => {
        const signed = decodeURIComponent(signCookie(tokenFor(t)))
        const mac = signed.slice(signed.lastIndexOf('.') + 1)
        return {
          headers: {
            Cookie: `${COOKIE}=${encodeURIComponent(`s:${tokenFor(t, { claims: { sub: 'admin' } })}.${mac}`)}`,
          },
        }
      },
      codes: INVALID_SIGNATURE,
    },
    {
      ref: 'RFC 6265 §8.6 (cookie integrity)',
      name: 'a signed cookie with its signature removed',
      build: (t) => ({
        headers: { Cookie: `${COOKIE}=${encodeURIComponent(`s:${tokenFor(t)}`)}` },
      }),
      codes: INVALID_SIGNATURE,
    },
    {
      ref: 'attacker-keyed signature',
      name: 'a properly signed cookie holding an attacker token',
      build: (t) => ({
        headers: { Cookie: `${COOKIE}=${signCookie(tokenFor(t, { key: attackerKey(t) }))}` },
      }),
      codes: ['ERR_AUTH_SIGNATURE_INVALID'],
    },
  ]
  runAttackTable('signed cookies', [...FORGERIES, ...rows], signedTargets)
})

describe('header/cookie preference policies never fall back to the other source', () => {
  for (const conflict of ['prefer-header', 'prefer-cookie'] as const) {
    const policyTargets = TARGETS.map((t): Target => ({
      ...t,
      name: `${t.name}, ${conflict}`,
      options: () => ({ ...t.options(), conflict }),
    }))
    runAttackTable(
      conflict,
      [
        {
          ref: 'RFC 6750 §2 (one credential per request)',
          name: `attacker token in the preferred source, valid token in the other`,
          build: (t) =>
            conflict === 'prefer-header'
              ? {
                  token: tokenFor(t, { key: attackerKey(t) }),
                  headers: { Cookie: `${COOKIE}=${tokenFor(t)}` },
                }
              : {
                  token: tokenFor(t),
                  headers: { Cookie: `${COOKIE}=${tokenFor(t, { key: attackerKey(t) })}` },
                },
          codes: ['ERR_AUTH_SIGNATURE_INVALID'],
        },
      ],
      policyTargets,
    )
  }
})

describe('several issuers: one issuer’s token never passes with another’s key', () => {
  const OTHER = 'https://other.example.org'
  const multi: Target = {
    name: 'three issuers',
    alg: 'EdDSA',
    signingKey: issuerKeys.ed25519.privateKey,
    options: () => ({
      issuers: [
        { issuer: ISSUER, key: { ed25519: rawEd25519Base64(issuerKeys.ed25519) } },
        { issuer: OTHER, key: { pem: issuerKeys.es256.publicPem } },
        {
          issuer: null,
          key: { ed25519: rawEd25519Base64(attackerKeys.ed25519) },
          requireExpiry: false,
        },
      ],
      clock: () => NOW,
    }),
  }
  const claims = { ...validClaims(), aud: undefined }
  const cases: [string, () => string, AuthErrorCode[]][] = [
    [
      'iss of the EdDSA issuer, signed by the ES256 issuer',
      () =>
        forge({
          header: { alg: 'ES256' },
          payload: claims,
          sign: { alg: 'ES256', key: issuerKeys.es256.privateKey },
        }),
      ['ERR_AUTH_ALG_NOT_ALLOWED'],
    ],
    [
      'iss of the ES256 issuer, signed by the EdDSA issuer',
      () =>
        forge({
          header: { alg: 'EdDSA' },
          payload: { ...claims, iss: OTHER },
          sign: { alg: 'EdDSA', key: issuerKeys.ed25519.privateKey },
        }),
      ['ERR_AUTH_ALG_NOT_ALLOWED'],
    ],
    [
      'no iss (selects the iss-less issuer), signed by the EdDSA issuer',
      () =>
        forge({
          header: { alg: 'EdDSA' },
          payload: { ...claims, iss: undefined },
          sign: { alg: 'EdDSA', key: issuerKeys.ed25519.privateKey },
        }),
      ['ERR_AUTH_SIGNATURE_INVALID'],
    ],
    [
      'iss of the EdDSA issuer, signed by the iss-less issuer key',
      () =>
        forge({
          header: { alg: 'EdDSA' },
          payload: claims,
          sign: { alg: 'EdDSA', key: attackerKeys.ed25519.privateKey },
        }),
      ['ERR_AUTH_SIGNATURE_INVALID'],
    ],
    [
      'iss null (not absent), signed by the iss-less issuer key',
      () =>
        forge({
          header: { alg: 'EdDSA' },
          payload: { ...claims, iss: null },
          sign: { alg: 'EdDSA', key: attackerKeys.ed25519.privateKey },
        }),
      ['ERR_AUTH_ISSUER_UNTRUSTED'],
    ],
    [
      'iss empty string, signed by the iss-less issuer key',
      () =>
        forge({
          header: { alg: 'EdDSA' },
          payload: { ...claims, iss: '' },
          sign: { alg: 'EdDSA', key: attackerKeys.ed25519.privateKey },
        }),
      ['ERR_AUTH_ISSUER_UNTRUSTED'],
    ],
  ]
  let srv: AttackServer
  beforeAll(async () => {
    srv = await startServer(multi)
  })
  afterAll(async () => {
    await srv.close()
  })
  it('control: each issuer’s own token passes', async () => {
    for (const [payload, alg, key] of [
      [claims, 'EdDSA', issuerKeys.ed25519.privateKey],
      [{ ...claims, iss: OTHER }, 'ES256', issuerKeys.es256.privateKey],
      [{ ...claims, iss: undefined }, 'EdDSA', attackerKeys.ed25519.privateKey],
    ] as const) {
      const before = srv.ran()
      expectPassed(
        await send(srv, { token: forge({ header: { alg }, payload, sign: { alg, key } }) }),
        srv,
        before,
      )
    }
  })
  for (const [name, build, codes] of cases) {
    it(`RFC 8725 §3.8 (issuer-bound keys): ${name}`, async () => {
      const before = srv.ran()
      expectAttackRejected(await send(srv, { token: build() }), srv, before, codes)
    })
  }
})

describe('explicit typing is per issuer (RFC 8725 §3.11, cross-JWT confusion)', () => {
  const OTHER = 'https://other.example.org'
  const typed: Target = {
    name: 'typed issuers',
    alg: 'HS256',
    signingKey: issuerKeys.secret,
    options: () => ({
      issuers: [
        {
          issuer: ISSUER,
          key: { secret: issuerKeys.secret, encoding: 'utf8' as const },
          typ: ['at+jwt'],
        },
        { issuer: OTHER, key: { ed25519: rawEd25519Base64(issuerKeys.ed25519) } },
      ],
      clock: () => NOW,
    }),
  }
  const claims = { ...validClaims(), aud: undefined }
  let srv: AttackServer
  beforeAll(async () => {
    srv = await startServer(typed)
  })
  afterAll(async () => {
    await srv.close()
  })
  it('control: the issuer that declared at+jwt gets its at+jwt tokens through', async () => {
    const before = srv.ran()
    const token = forge({
      header: { alg: 'HS256', typ: 'at+jwt' },
      payload: claims,
      sign: { alg: 'HS256', key: issuerKeys.secret },
    })
    expectPassed(await send(srv, { token }), srv, before)
  })
  it('a typ declared by another issuer is refused for this one', async () => {
    const before = srv.ran()
    const token = forge({
      header: { alg: 'EdDSA', typ: 'at+jwt' },
      payload: { ...claims, iss: OTHER },
      sign: { alg: 'EdDSA', key: issuerKeys.ed25519.privateKey },
    })
    expectAttackRejected(await send(srv, { token }), srv, before, ['ERR_AUTH_TOKEN_HEADER_INVALID'])
  })
})
