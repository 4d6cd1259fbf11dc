/**
 * Header injection: keys or key locations carried by the token itself (`jwk`, `jku`, `x5u`, `x5c`,
 * `x5t`; RFC 8725 §3.10, CVE-2018-0114) must never be used or fetched, and a `kid` is only ever an
 * exact lookup in the configured set (path traversal, NUL, SQL, shell, prototype names, non-string
 * values, unknown kids, a kid naming a key of another type).
 */
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthErrorCode } from '../../src/index.js'
import { b64u } from './helpers/forge.js'
import type { SigningKey } from './helpers/forge.js'
import { attackerCertificate, attackerKeys } from './helpers/keys.js'
import { runAttackTable } from './helpers/harness.js'
import type { AttackRow } from './helpers/harness.js'
import { JWKS_KIDS, tokenFor } from './helpers/targets.js'
import type { Target } from './helpers/targets.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import type { JwksServer } from '../helpers/jwks-server.js'

/** Requests the host had answered when the rows started. */
let hitsBefore = 0
let base = ''
let server: JwksServer
const certificate =
  attackerCertificate() ??
  b64u(Buffer.concat([Buffer.from([0x30, 0x82]), attackerKeys.rsa.publicDer]))

beforeAll(async () => {
  server = await startJwksServer([
    { ...attackerKeys.ed25519.publicJwk, kid: 'attacker' },
    { ...attackerKeys.es256.publicJwk, kid: 'attacker-ec' },
    { ...attackerKeys.rsa.publicJwk, kid: 'attacker-rsa' },
  ])
  base = server.origin
  // The host really answers (so zero hits below means nobody asked), then the count starts over.
  const probe = await fetch(`${base}/jwks.json`)
  expect(probe.status).toBe(200)
  await probe.arrayBuffer()
  expect(server.hits()).toBe(1)
  hitsBefore = server.hits()
})

afterAll(async () => {
  await server.close()
})

/** The attacker's key of the target's type, and its public JWK. */
function attackerFor(t: Target): { key: SigningKey; jwk: Record<string, unknown> } {
  switch (t.alg) {
    case 'HS256':
      return { key: attackerKeys.secret, jwk: { kty: 'oct', k: b64u(attackerKeys.secret) } }
    case 'ES256':
      return { key: attackerKeys.es256.privateKey, jwk: { ...attackerKeys.es256.publicJwk } }
    case 'RS256':
      return { key: attackerKeys.rsa.privateKey, jwk: { ...attackerKeys.rsa.publicJwk } }
    default:
      return { key: attackerKeys.ed25519.privateKey, jwk: { ...attackerKeys.ed25519.publicJwk } }
  }
}

const REFUSED: AuthErrorCode[] = ['ERR_AUTH_SIGNATURE_INVALID', 'ERR_AUTH_KEY_NOT_FOUND']

const INJECTIONS: [string, string, (t: Target) => Record<string, unknown>][] = [
  ['RFC 8725 §3.10 / CVE-2018-0114', 'embedded attacker jwk', (t) => ({ jwk: attackerFor(t).jwk })],
  [
    'RFC 8725 §3.10 / CVE-2018-0114',
    'embedded attacker jwk with the kid of the real key',
    (t) => ({ jwk: { ...attackerFor(t).jwk, kid: t.kid ?? 'k' } }),
  ],
  [
    'RFC 7515 §4.1.2 (jku)',
    'jku pointing at an attacker JWKS',
    () => ({ jku: `${base}/jwks.json`, kid: 'attacker' }),
  ],
  [
    'RFC 7515 §4.1.2 (jku)',
    'jku pointing at an attacker JWKS, kid of the real key',
    (t) => ({ jku: `${base}/jwks.json`, kid: t.kid ?? 'attacker' }),
  ],
  [
    'RFC 7515 §4.1.2 (jku) / SSRF',
    'jku at a cloud metadata address',
    () => ({ jku: 'http://169.254.169.254/latest/meta-data/' }),
  ],
  ['RFC 7515 §4.1.2 (jku) / SSRF', 'jku as a file URL', () => ({ jku: 'file:///etc/passwd' })],
  [
    'RFC 7515 §4.1.5 (x5u)',
    'x5u pointing at an attacker certificate',
    () => ({ x5u: `${base}/cert.pem` }),
  ],
  [
    'RFC 7515 §4.1.6 (x5c)',
    'x5c with an attacker self-signed certificate',
    () => ({ x5c: [certificate] }),
  ],
  [
    'RFC 7515 §4.1.7 (x5t)',
    'x5t and x5t#S256 of the attacker certificate',
    () => ({
      x5t: b64u(createHash('sha1').update(Buffer.from(certificate, 'base64')).digest()),
      'x5t#S256': b64u(createHash('sha256').update(Buffer.from(certificate, 'base64')).digest()),
    }),
  ],
  [
    'RFC 8725 §3.10',
    'jwk, jku, x5u and x5c all at once',
    (t) => ({
      jwk: attackerFor(t).jwk,
      jku: `${base}/jwks.json`,
      x5u: `${base}/cert.pem`,
      x5c: [certificate],
    }),
  ],
]

const rows: AttackRow[] = INJECTIONS.map(([ref, name, header]) => ({
  ref,
  name: `${name}, signed by the attacker`,
  build: (t: Target) => {
    const extra = header(t)
    const usesRsaCert = 'x5c' in extra && t.alg === 'RS256'
    const key = usesRsaCert ? attackerKeys.rsa.privateKey : attackerFor(t).key
    return { token: tokenFor(t, { header: extra, key }) }
  },
  codes: REFUSED,
}))

rows.push({
  ref: 'RFC 7515 §4.1.6 (x5c)',
  name: 'RS256 with x5c of the attacker certificate on a non-RSA issuer',
  applies: (t) => t.alg !== 'RS256',
  build: (t) => ({
    token: tokenFor(t, {
      header: { alg: 'RS256', x5c: [certificate] },
      alg: 'RS256',
      key: attackerKeys.rsa.privateKey,
    }),
  }),
  codes: ['ERR_AUTH_ALG_NOT_ALLOWED', 'ERR_AUTH_KEY_NOT_FOUND'],
})

/** kids an attacker hopes a key store turns into a file path, a query or a command. */
const HOSTILE_KIDS: [string, string, SigningKey | undefined][] = [
  [
    'path traversal to /dev/null (empty HMAC key)',
    '../../../../../../../dev/null',
    Buffer.alloc(0),
  ],
  ['absolute path', '/etc/passwd', undefined],
  ['path traversal, Windows style', '..\\..\\..\\windows\\win.ini', undefined],
  ['URL-encoded traversal', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', undefined],
  ['NUL byte truncation', 'public.pem\u0000.txt', undefined],
  [
    'SQL union returning a known secret',
    "x' UNION SELECT 'attacker-secret' -- ",
    'attacker-secret',
  ],
  ['SQL tautology', "' OR '1'='1", undefined],
  ['shell command substitution', '$(curl http://127.0.0.1:1/)', undefined],
  ['shell backticks', '`id`', undefined],
  ['shell separator', 'key; rm -rf / #', undefined],
  ['__proto__', '__proto__', undefined],
  ['constructor', 'constructor', undefined],
  ['toString', 'toString', undefined],
  ['hasOwnProperty', 'hasOwnProperty', undefined],
  ['very long kid', 'k'.repeat(3000), undefined],
]

for (const [label, kid, secret] of HOSTILE_KIDS) {
  rows.push({
    ref: 'RFC 7515 §4.1.4 (kid injection)',
    name: `kid ${label}, signed by the attacker${secret === undefined ? '' : ' with the implied key'}`,
    build: (t) =>
      secret === undefined
        ? { token: tokenFor(t, { header: { kid }, key: attackerFor(t).key }) }
        : { token: tokenFor(t, { header: { kid, alg: 'HS256' }, alg: 'HS256', key: secret }) },
    codes: ['ERR_AUTH_SIGNATURE_INVALID', 'ERR_AUTH_KEY_NOT_FOUND', 'ERR_AUTH_ALG_NOT_ALLOWED'],
  })
}

// In the JWKS setup the kid selects the key, so these rows are signed with the real EC key:
// only the kid is wrong, and an exact lookup must refuse it.
const WRONG_KIDS: [string, string][] = [
  ['unknown kid', 'no-such-key'],
  ['empty kid', ''],
  ['kid of the real key in another case', JWKS_KIDS.es256.toUpperCase()],
  ['kid of the real key with a trailing space', `${JWKS_KIDS.es256} `],
  ['kid of the real key with a NUL suffix', `${JWKS_KIDS.es256}\u0000`],
  ['kid of the real key as a prefix', JWKS_KIDS.es256.slice(0, -1)],
  ['kid naming the RSA key (another type)', JWKS_KIDS.rsa],
  ['kid naming the Ed25519 key (another type)', JWKS_KIDS.ed25519],
  ['kid __proto__', '__proto__'],
  ['kid constructor', 'constructor'],
  ['kid attacker (served by the jku host)', 'attacker'],
]
for (const [label, kid] of WRONG_KIDS) {
  rows.push({
    ref: 'RFC 7515 §4.1.4 / RFC 7517 §4.5 (kid is an exact match)',
    name: `${label}, signed with the real EC key`,
    applies: (t) => t.name === 'jwks',
    build: (t) => ({ token: tokenFor(t, { header: { kid } }) }),
    codes: ['ERR_AUTH_KEY_NOT_FOUND'],
  })
}

const NON_STRING_KIDS: [string, unknown][] = [
  ['number', 1],
  ['null', null],
  ['boolean', true],
  ['object', { $ne: null }],
  ['array holding the real kid', [JWKS_KIDS.es256]],
]
for (const [label, kid] of NON_STRING_KIDS) {
  rows.push({
    ref: 'RFC 7515 §4.1.4 (kid is a string)',
    name: `kid of type ${label}, signed with the real key`,
    build: (t) => ({ token: tokenFor(t, { header: { kid } }) }),
    codes: ['ERR_AUTH_TOKEN_HEADER_INVALID'],
  })
}

runAttackTable('header injection', rows)

describe('header injection: nothing was fetched', () => {
  it('the loopback jku/x5u host saw zero requests after every row ran', () => {
    expect(base).not.toBe('')
    expect(server.hits() - hitsBefore).toBe(0)
  })
})
