/**
 * Algorithm attacks: `alg: none` in every spelling (CVE-2015-9235 family), missing or malformed
 * `alg`, algorithms outside the issuer's locked list, and key confusion (a public key used as an
 * HMAC secret, CVE-2016-5431 / CVE-2016-10555 / CVE-2022-23540).
 */
import { describe, it } from 'vitest'
import type { AuthErrorCode } from '../../src/index.js'
import { b64u } from './helpers/forge.js'
import type { SigningKey } from './helpers/forge.js'
import { rawEd25519Base64 } from '../helpers/keys.js'
import { attackerKeys, issuerKeys, rawPublicBytes } from './helpers/keys.js'
import type { TestKeyPair } from '../helpers/keys.js'
import { expectAttackRejected, runAttackTable, send, startServer } from './helpers/harness.js'
import type { AttackRow } from './helpers/harness.js'
import { ISSUER } from '../helpers/tokens.js'
import { JWKS_KIDS, tokenFor, validClaims } from './helpers/targets.js'
import type { Target } from './helpers/targets.js'
import { forge } from './helpers/forge.js'

const HEADER_INVALID: AuthErrorCode[] = ['ERR_AUTH_TOKEN_HEADER_INVALID']
const ALG_REFUSED: AuthErrorCode[] = ['ERR_AUTH_ALG_NOT_ALLOWED']
const isAsymmetric = (t: Target): boolean => t.keys !== undefined

const NONE_SPELLINGS = ['none', 'None', 'NONE', 'nOnE', 'NoNe', 'nonE']
const NONE_LOOKALIKES = [
  'none ',
  ' none',
  'none\u0000',
  'non\u0435',
  'n\u00f6ne',
  'none.',
  '"none"',
]

const rows: AttackRow[] = []

for (const alg of NONE_SPELLINGS) {
  rows.push(
    {
      ref: 'RFC 7519 §6.1 / CVE-2015-9235',
      name: `alg "${alg}" with an empty signature`,
      build: (t) => ({ token: tokenFor(t, { header: { alg }, signature: Buffer.alloc(0) }) }),
      codes: ['ERR_AUTH_TOKEN_MALFORMED', 'ERR_AUTH_TOKEN_HEADER_INVALID'],
    },
    {
      ref: 'RFC 7519 §6.1 / CVE-2015-9235',
      name: `alg "${alg}" carrying a valid signature of the real key`,
      build: (t) => ({ token: tokenFor(t, { header: { alg } }) }),
      codes: HEADER_INVALID,
    },
    {
      ref: 'RFC 7519 §6.1 / CVE-2015-9235',
      name: `alg "${alg}" with a junk signature`,
      build: (t) => ({ token: tokenFor(t, { header: { alg }, signature: Buffer.from('x') }) }),
      codes: HEADER_INVALID,
    },
  )
}
for (const alg of NONE_LOOKALIKES) {
  rows.push({
    ref: 'RFC 7515 §4.1.1 (alg is case-sensitive)',
    name: `alg look-alike ${JSON.stringify(alg)}`,
    build: (t) => ({ token: tokenFor(t, { header: { alg } }) }),
    codes: ALG_REFUSED,
  })
}

const BAD_ALG_VALUES: [string, unknown][] = [
  ['missing', undefined],
  ['null', null],
  ['empty string', ''],
  ['number', 256],
  ['boolean', true],
  ['array of the right alg', ['RIGHT']],
  ['object', { name: 'RIGHT' }],
]
for (const [label, value] of BAD_ALG_VALUES) {
  rows.push({
    ref: 'RFC 7515 §4.1.1 (alg required, a string)',
    name: `alg ${label}`,
    build: (t) => {
      const alg = Array.isArray(value) ? [t.alg] : label === 'object' ? { name: t.alg } : value
      return { token: tokenFor(t, { header: { alg } }) }
    },
    codes: HEADER_INVALID,
  })
}

for (const alg of ['HS1', 'RS1', 'ES256K', 'Ed448', 'EdDSA25519', 'A256GCM', 'dir', 'RSA-OAEP']) {
  rows.push({
    ref: 'RFC 7518 §3.1 (unknown alg)',
    name: `unknown alg "${alg}" with the real key's signature`,
    build: (t) => ({ token: tokenFor(t, { header: { alg } }) }),
    codes: ALG_REFUSED,
  })
}

rows.push(
  {
    ref: 'RFC 7515 §4.1.1 (alg is case-sensitive)',
    name: 'the right alg in lower case',
    build: (t) => ({ token: tokenFor(t, { header: { alg: t.alg.toLowerCase() } }) }),
    codes: ALG_REFUSED,
  },
  {
    ref: 'RFC 7515 §4.1.1 (alg is case-sensitive)',
    name: 'the right alg in upper case',
    applies: (t) => t.alg !== t.alg.toUpperCase(),
    build: (t) => ({ token: tokenFor(t, { header: { alg: t.alg.toUpperCase() } }) }),
    codes: ALG_REFUSED,
  },
  {
    ref: 'RFC 8725 §3.1 (locked algorithm list)',
    name: 'RS384 / RS512 / PS256 signed with the real RSA key (only RS256 is locked in)',
    applies: (t) => t.alg === 'RS256',
    build: (t) => ({ token: tokenFor(t, { header: { alg: 'PS256' }, alg: 'PS256' }) }),
    codes: ALG_REFUSED,
  },
  {
    ref: 'RFC 8725 §3.1 (locked algorithm list)',
    name: 'RS512 signed with the real RSA key',
    applies: (t) => t.alg === 'RS256',
    build: (t) => ({ token: tokenFor(t, { header: { alg: 'RS512' }, alg: 'RS512' }) }),
    codes: ALG_REFUSED,
  },
  {
    ref: 'RFC 8725 §3.1 (locked algorithm list)',
    name: 'ES384 header over an ES256 signature',
    applies: (t) => t.alg === 'ES256',
    build: (t) => ({ token: tokenFor(t, { header: { alg: 'ES384' } }) }),
    codes: ['ERR_AUTH_ALG_NOT_ALLOWED', 'ERR_AUTH_KEY_NOT_FOUND'],
  },
  {
    ref: 'RFC 8725 §2.1 (HS384/HS512 against an HS256 secret)',
    name: 'HS384 signed with the real secret',
    applies: (t) => t.alg === 'HS256',
    build: (t) => ({ token: tokenFor(t, { header: { alg: 'HS384' }, alg: 'HS384' }) }),
    codes: ALG_REFUSED,
  },
  {
    ref: 'RFC 8725 §2.1 (HS384/HS512 against an HS256 secret)',
    name: 'HS512 signed with the real secret',
    applies: (t) => t.alg === 'HS256',
    build: (t) => ({ token: tokenFor(t, { header: { alg: 'HS512' }, alg: 'HS512' }) }),
    codes: ALG_REFUSED,
  },
  {
    ref: 'RFC 8725 §3.1 (locked algorithm list)',
    name: 'an asymmetric alg against the HMAC secret, signed by the attacker',
    applies: (t) => t.alg === 'HS256',
    build: (t) => ({
      token: tokenFor(t, {
        header: { alg: 'RS256' },
        alg: 'RS256',
        key: attackerKeys.rsa.privateKey,
      }),
    }),
    codes: ALG_REFUSED,
  },
  {
    ref: 'RFC 8725 §3.1 (alg allowed for another key of the set)',
    name: 'kid of the EC key with RS256 signed by the RSA key of the set',
    applies: (t) => t.name === 'jwks',
    build: (t) => ({
      token: tokenFor(t, {
        header: { alg: 'RS256', kid: JWKS_KIDS.es256 },
        alg: 'RS256',
        key: issuerKeys.rsa.privateKey,
      }),
    }),
    codes: ['ERR_AUTH_KEY_NOT_FOUND'],
  },
  {
    ref: 'RFC 8725 §3.1 (alg allowed for another key of the set)',
    name: 'kid of the RSA key with EdDSA signed by the Ed25519 key of the set',
    applies: (t) => t.name === 'jwks',
    build: (t) => ({
      token: tokenFor(t, {
        header: { alg: 'EdDSA', kid: JWKS_KIDS.rsa },
        alg: 'EdDSA',
        key: issuerKeys.ed25519.privateKey,
      }),
    }),
    codes: ['ERR_AUTH_KEY_NOT_FOUND'],
  },
  {
    ref: 'RFC 8725 §3.1 (alg allowed for another key of the set)',
    name: 'no kid, RS384 signed with the RSA key of the set (declared alg RS256)',
    applies: (t) => t.name === 'jwks',
    build: (t) => ({
      token: tokenFor(t, {
        header: { alg: 'RS384', kid: undefined },
        alg: 'RS384',
        key: issuerKeys.rsa.privateKey,
      }),
    }),
    codes: ALG_REFUSED,
  },
)

/** Every spelling of a public key an attacker could find and feed to HMAC. */
function confusionSecrets(keys: TestKeyPair): [string, SigningKey][] {
  const pem = keys.publicPem
  const raw = rawPublicBytes(keys)
  return [
    ['PEM text', pem],
    ['PEM without the final newline', pem.trimEnd()],
    ['PEM with CRLF line ends', pem.replace(/\n/g, '\r\n')],
    ['PEM with stray surrounding whitespace', `  \n${pem}\n\n `],
    ['PEM body only (base64 of the DER)', pem.split('\n').slice(1, -2).join('')],
    ['DER bytes', keys.publicDer],
    ['JWK JSON', JSON.stringify(keys.publicJwk)],
    ['JWK JSON, pretty-printed', JSON.stringify(keys.publicJwk, null, 2)],
    ['raw public key bytes', raw],
    ['raw public key, standard base64', raw.toString('base64')],
    ['raw public key, base64url', b64u(raw)],
  ]
}

for (const hs of ['HS256', 'HS384', 'HS512']) {
  for (const [label, pick] of [
    ['the issuer public key', (t: Target) => t.keys],
    ['the RSA key of the set', (t: Target) => (t.name === 'jwks' ? issuerKeys.rsa : undefined)],
  ] as const) {
    for (const [format] of confusionSecrets(issuerKeys.rsa)) {
      rows.push({
        ref: 'CVE-2016-5431 / CVE-2016-10555 / CVE-2022-23540 (key confusion)',
        name: `${hs} signed with ${label} as ${format}`,
        applies: (t) => isAsymmetric(t) && pick(t) !== undefined,
        build: (t) => {
          const keys = pick(t)!
          const secret = confusionSecrets(keys).find(([f]) => f === format)![1]
          const kid = keys === issuerKeys.rsa && t.name === 'jwks' ? JWKS_KIDS.rsa : t.kid
          return { token: tokenFor(t, { header: { alg: hs, kid }, alg: hs, key: secret }) }
        },
        codes: ALG_REFUSED,
      })
    }
  }
}

rows.push({
  ref: 'CVE-2016-5431 (key confusion)',
  name: 'HS256 signed with the raw Ed25519 key in the configured base64 spelling',
  applies: (t) => t.alg === 'EdDSA',
  build: (t) => ({
    token: tokenFor(t, { header: { alg: 'HS256' }, alg: 'HS256', key: rawEd25519Base64(t.keys!) }),
  }),
  codes: ALG_REFUSED,
})

runAttackTable('alg and key confusion', rows)

describe('alg allowed for another issuer of the same app', () => {
  const RS_ISSUER = 'https://rs.example.org'
  const app = {
    name: 'two-issuers',
    alg: 'HS256',
    signingKey: issuerKeys.secret,
    options: () => ({
      issuers: [
        { issuer: ISSUER, key: { secret: issuerKeys.secret, encoding: 'utf8' as const } },
        { issuer: RS_ISSUER, key: { pem: issuerKeys.rsa.publicPem } },
      ],
      clock: () => new Date('2026-06-01T12:00:00Z'),
    }),
  } satisfies Target
  const cases: [string, () => string][] = [
    [
      'iss of the RS256 issuer, HS256 signed with its public PEM',
      () =>
        forge({
          header: { alg: 'HS256', typ: 'JWT' },
          payload: { ...validClaims(), iss: RS_ISSUER, aud: undefined },
          sign: { alg: 'HS256', key: issuerKeys.rsa.publicPem },
        }),
    ],
    [
      'iss of the RS256 issuer, HS256 signed with the other issuer secret',
      () =>
        forge({
          header: { alg: 'HS256', typ: 'JWT' },
          payload: { ...validClaims(), iss: RS_ISSUER },
          sign: { alg: 'HS256', key: issuerKeys.secret },
        }),
    ],
    [
      'iss of the HS256 issuer, RS256 signed with the RS256 issuer key',
      () =>
        forge({
          header: { alg: 'RS256', typ: 'JWT' },
          payload: validClaims(),
          sign: { alg: 'RS256', key: issuerKeys.rsa.privateKey },
        }),
    ],
  ]
  for (const [name, build] of cases) {
    it(`RFC 8725 §3.1 (per-issuer locked list): ${name}`, async () => {
      const srv = await startServer(app)
      try {
        const before = srv.ran()
        expectAttackRejected(await send(srv, { token: build() }), srv, before, ALG_REFUSED)
      } finally {
        await srv.close()
      }
    })
  }
})
