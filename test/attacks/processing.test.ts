/**
 * Header parameters that change how a token is processed: `crit` (RFC 7515 §4.1.11), `b64: false`
 * (RFC 7797), `zip` (RFC 7516 §4.1.3, decompression bombs), nested tokens (`cty: JWT`, RFC 7519
 * §5.2), explicit typing (RFC 8725 §3.11) and JWE in every form, including `dir` and PBES2 with a
 * huge `p2c` (CVE-2023-25653 class: unbounded key derivation).
 */
import { createHash } from 'node:crypto'
import { deflateRawSync, gzipSync } from 'node:zlib'
import { CompactEncrypt } from 'jose'
import type { AuthErrorCode } from '../../src/index.js'
import { b64u, signBytes } from './helpers/forge.js'
import { issuerKeys } from './helpers/keys.js'
import { runAttackTable } from './helpers/harness.js'
import type { AttackRow } from './helpers/harness.js'
import { COOKIE, tokenFor, validClaims, validHeader } from './helpers/targets.js'
import type { Target } from './helpers/targets.js'

const HEADER_INVALID: AuthErrorCode[] = ['ERR_AUTH_TOKEN_HEADER_INVALID']
const REFUSED: AuthErrorCode[] = ['ERR_AUTH_TOKEN_HEADER_INVALID', 'ERR_AUTH_TOKEN_MALFORMED']

const rows: AttackRow[] = []

const CRIT: [string, Record<string, unknown>][] = [
  ['unknown extension', { crit: ['x-custom'], 'x-custom': true }],
  ['extension listed but absent', { crit: ['x-missing'] }],
  ['registered name (forbidden)', { crit: ['exp'] }],
  ['empty list (forbidden)', { crit: [] }],
  ['a string instead of a list', { crit: 'b64', b64: true }],
  ['an object', { crit: {} }],
  ['null', { crit: null }],
  ['a list of numbers', { crit: [1] }],
  ['b64 listed, b64 true', { crit: ['b64'], b64: true }],
]
for (const [label, header] of CRIT) {
  rows.push({
    ref: 'RFC 7515 §4.1.11 (crit)',
    name: `crit ${label}, signed with the real key`,
    build: (t) => ({ token: tokenFor(t, { header }) }),
    codes: HEADER_INVALID,
  })
}

/** An RFC 7797 unencoded-payload JWS: the signature covers the raw payload bytes. */
function unencoded(t: Target, header: Record<string, unknown>, detached: boolean): string {
  const protectedHeader = b64u(JSON.stringify({ ...validHeader(t), ...header }))
  const payload = JSON.stringify({ ...validClaims(), iss: 'x' }).replace(/\./g, '')
  const signature = signBytes(t.alg, t.signingKey, `${protectedHeader}.${payload}`)
  return `${protectedHeader}.${detached ? '' : payload}.${b64u(signature)}`
}
for (const [label, header] of [
  ['with crit', { b64: false, crit: ['b64'] }],
  ['without crit', { b64: false }],
  ['as the string "false"', { b64: 'false', crit: ['b64'] }],
] as const) {
  rows.push(
    {
      ref: 'RFC 7797 §3 (b64: false)',
      name: `b64 false ${label}, unencoded payload in the Authorization header`,
      build: (t) => ({ token: unencoded(t, header, false) }),
      codes: [...REFUSED, 'ERR_AUTH_HEADER_MALFORMED'],
    },
    {
      ref: 'RFC 7797 §3 (b64: false)',
      name: `b64 false ${label}, unencoded payload in a percent-encoded cookie`,
      build: (t) => ({
        headers: { Cookie: `${COOKIE}=${encodeURIComponent(unencoded(t, header, false))}` },
      }),
      codes: REFUSED,
    },
    {
      ref: 'RFC 7797 §5.2 (detached payload)',
      name: `b64 false ${label}, detached payload`,
      build: (t) => ({ token: unencoded(t, header, true) }),
      codes: REFUSED,
    },
  )
}
rows.push({
  ref: 'RFC 7797 §3 (b64)',
  name: 'b64 true without crit, encoded payload (signature valid)',
  build: (t) => ({ token: tokenFor(t, { header: { b64: true } }) }),
  codes: HEADER_INVALID,
})

const claimsJson = (): Buffer => Buffer.from(JSON.stringify(validClaims()))
const ZIP: [string, string, () => Buffer][] = [
  ['DEF with a deflated payload', 'DEF', () => deflateRawSync(claimsJson())],
  ['DEF with a plain payload', 'DEF', claimsJson],
  ['GZIP', 'GZIP', () => gzipSync(claimsJson())],
  [
    'DEF decompression bomb (1 MiB of zeros after the claims)',
    'DEF',
    () =>
      deflateRawSync(
        Buffer.concat([
          claimsJson().subarray(0, -1),
          Buffer.from(',"pad":"'),
          Buffer.alloc(1 << 20, 0x30),
          Buffer.from('"}'),
        ]),
        { level: 9 },
      ),
  ],
]
for (const [label, zip, payload] of ZIP) {
  rows.push({
    ref: 'RFC 7516 §4.1.3 (zip never inflated)',
    name: `zip ${label}, signed with the real key`,
    build: (t) => ({ token: tokenFor(t, { header: { zip }, rawPayload: payload() }) }),
    codes: REFUSED,
  })
}

for (const cty of ['JWT', 'jwt', 'application/jwt', 'Application/JWT']) {
  rows.push(
    {
      ref: 'RFC 7519 §5.2 (nested JWT)',
      name: `cty ${cty} wrapping another validly signed token`,
      build: (t) => ({ token: tokenFor(t, { header: { cty }, rawPayload: tokenFor(t) }) }),
      codes: REFUSED,
    },
    {
      ref: 'RFC 7519 §5.2 (nested JWT)',
      name: `cty ${cty} over ordinary claims`,
      build: (t) => ({ token: tokenFor(t, { header: { cty } }) }),
      codes: HEADER_INVALID,
    },
  )
}
rows.push({
  ref: 'RFC 7515 §4.1.10 (cty is a string)',
  name: 'cty of type number',
  build: (t) => ({ token: tokenFor(t, { header: { cty: 1 } }) }),
  codes: HEADER_INVALID,
})

for (const typ of ['at+jwt', 'JWE', 'JOSE+JSON', 'secevent+jwt', 'JWT ', '']) {
  rows.push({
    ref: 'RFC 8725 §3.11 (explicit typing)',
    name: `typ ${JSON.stringify(typ)} not configured for the issuer`,
    build: (t) => ({ token: tokenFor(t, { header: { typ } }) }),
    codes: HEADER_INVALID,
  })
}
for (const typ of [1, null, ['JWT']]) {
  rows.push({
    ref: 'RFC 7515 §4.1.9 (typ is a string)',
    name: `typ ${JSON.stringify(typ)}`,
    build: (t) => ({ token: tokenFor(t, { header: { typ } }) }),
    codes: HEADER_INVALID,
  })
}

/** A JWE-shaped compact token with random ciphertext parts. */
function fakeJwe(header: Record<string, unknown>, parts = 5): string {
  const rest = ['ZW5jcnlwdGVkLWtleQ', 'aXYtaXYtaXYtaXY', 'Y2lwaGVydGV4dA', 'dGFnLXRhZy10YWc']
  return [b64u(JSON.stringify(header)), ...rest].slice(0, parts).join('.')
}
const JWE_FORMS: [string, (t: Target) => string | Promise<string>][] = [
  ['dir + A256GCM (fake)', () => fakeJwe({ alg: 'dir', enc: 'A256GCM' })],
  [
    'PBES2-HS512+A256KW with p2c 2^31-1',
    () =>
      fakeJwe({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', p2s: 'c2FsdHNhbHQ', p2c: 2 ** 31 - 1 }),
  ],
  [
    'PBES2-HS256+A128KW with p2c 1e9, three parts',
    () => fakeJwe({ alg: 'PBES2-HS256+A128KW', enc: 'A128GCM', p2s: 'c2FsdA', p2c: 1e9 }, 3),
  ],
  ['RSA1_5 (Bleichenbacher oracle class)', () => fakeJwe({ alg: 'RSA1_5', enc: 'A128CBC-HS256' })],
  ['A128KW', () => fakeJwe({ alg: 'A128KW', enc: 'A128GCM' })],
  [
    'ECDH-ES with an attacker epk (invalid curve class, CVE-2017-16007)',
    () =>
      fakeJwe({
        alg: 'ECDH-ES',
        enc: 'A128GCM',
        epk: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' },
      }),
  ],
  ['zip DEF inside a JWE', () => fakeJwe({ alg: 'dir', enc: 'A128GCM', zip: 'DEF' })],
  ['a JWS header in five parts', (t) => fakeJwe(validHeader(t))],
  [
    'enc in a three-part token, signed with the real key',
    (t) => tokenFor(t, { header: { enc: 'A256GCM' } }),
  ],
]
for (const [label, build] of JWE_FORMS) {
  rows.push({
    ref: 'RFC 7516 (JWE is not accepted) / RFC 8725 §3.4',
    name: `JWE ${label}`,
    build: async (t) => ({ token: await build(t) }),
    codes: REFUSED,
  })
}

const plaintext = (): Uint8Array => new TextEncoder().encode(JSON.stringify(validClaims()))
rows.push(
  {
    ref: 'RFC 7516 §4.1.1 (dir) / RFC 8725 §3.4',
    name: 'real JWE, dir + A256GCM under a key derived from the HMAC secret',
    applies: (t) => t.alg === 'HS256',
    build: async () => ({
      token: await new CompactEncrypt(plaintext())
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .encrypt(createHash('sha256').update(issuerKeys.secret).digest()),
    }),
    codes: REFUSED,
  },
  {
    ref: 'RFC 7518 §4.3 (RSA-OAEP) / RFC 8725 §3.4',
    name: 'real JWE encrypted to the issuer public RSA key',
    applies: (t) => t.alg === 'RS256',
    build: async () => ({
      token: await new CompactEncrypt(plaintext())
        .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM' })
        .encrypt(issuerKeys.rsa.publicKey),
    }),
    codes: REFUSED,
  },
  {
    ref: 'RFC 7518 §4.6 (ECDH-ES) / RFC 8725 §3.4',
    name: 'real JWE encrypted to the issuer public EC key',
    applies: (t) => t.alg === 'ES256',
    build: async () => ({
      token: await new CompactEncrypt(plaintext())
        .setProtectedHeader({ alg: 'ECDH-ES+A128KW', enc: 'A128GCM' })
        .encrypt(issuerKeys.es256.publicKey),
    }),
    codes: REFUSED,
  },
  {
    ref: 'RFC 7516 §9 (four and six parts)',
    name: 'four parts',
    build: (t) => ({ token: `${tokenFor(t)}.${'A'.repeat(8)}`.split('.').slice(0, 4).join('.') }),
    codes: ['ERR_AUTH_TOKEN_MALFORMED'],
  },
  {
    ref: 'RFC 7516 §9 (four and six parts)',
    name: 'six parts',
    build: () => ({ token: `${fakeJwe({ alg: 'dir', enc: 'A256GCM' })}.QUFB` }),
    codes: ['ERR_AUTH_TOKEN_MALFORMED'],
  },
)

runAttackTable('crit, b64, zip, nested and JWE', rows)
