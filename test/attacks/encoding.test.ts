/**
 * JSON and encoding attacks on the compact serialisation (RFC 7515 §7.1): duplicate member names
 * (RFC 7515 §5.2, parser differentials), `__proto__`/`constructor` members (prototype pollution,
 * CVE-2018-3721 class), invalid UTF-8 (RFC 8259 §8.1), non-object JSON, wrong part counts, empty
 * parts, standard base64, padding, whitespace, non-canonical trailing bits (RFC 4648 §3.5),
 * percent-encoding and the JSON serialisation (RFC 7515 §7.2).
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { AuthErrorCode } from '../../src/index.js'
import { b64u, nonCanonical, parts, signBytes } from './helpers/forge.js'
import {
  expectPassed,
  expectAttackRejected,
  runAttackTable,
  send,
  startServer,
} from './helpers/harness.js'
import type { AttackRow } from './helpers/harness.js'
import { COOKIE, TARGETS, tokenFor, validClaims, validHeader } from './helpers/targets.js'
import type { Target } from './helpers/targets.js'

const MALFORMED: AuthErrorCode[] = ['ERR_AUTH_TOKEN_MALFORMED']
const prototypeNamesBefore = Object.getOwnPropertyNames(Object.prototype).sort()

/** Valid claims (or header) as JSON text with extra text spliced in before the closing brace. */
const claimsWith = (extra: string): string =>
  JSON.stringify(validClaims()).slice(0, -1) + extra + '}'
const headerWith = (t: Target, extra: string): string =>
  JSON.stringify(validHeader(t)).slice(0, -1) + extra + '}'

const rows: AttackRow[] = []
const rawPayload = (
  name: string,
  ref: string,
  payload: (t: Target) => string | Buffer,
): AttackRow => ({
  ref,
  name: `${name} (payload, signed with the real key)`,
  build: (t) => ({ token: tokenFor(t, { rawPayload: payload(t) }) }),
  codes: MALFORMED,
})
const rawHeader = (
  name: string,
  ref: string,
  header: (t: Target) => string | Buffer,
): AttackRow => ({
  ref,
  name: `${name} (header, signed with the real key)`,
  build: (t) => ({ token: tokenFor(t, { rawHeader: header(t) }) }),
  codes: MALFORMED,
})

const DUPLICATES = 'RFC 7515 §5.2 / RFC 8259 §4 (duplicate member names)'
rows.push(
  rawPayload('sub twice, admin last', DUPLICATES, () => claimsWith(',"sub":"admin"')),
  rawPayload(
    'sub twice, admin first',
    DUPLICATES,
    () => `{"sub":"admin",${claimsWith('').slice(1)}`,
  ),
  rawPayload('roles twice', DUPLICATES, () => claimsWith(',"roles":["admin"]')),
  rawPayload('iss twice', DUPLICATES, () => claimsWith(',"iss":"https://evil.example"')),
  rawPayload('exp twice', DUPLICATES, () => claimsWith(',"exp":99999999999')),
  rawPayload('sub twice, the second name escaped', DUPLICATES, () =>
    claimsWith(',"s\\u0075b":"admin"'),
  ),
  rawPayload('duplicate inside a nested object', DUPLICATES, () =>
    claimsWith(',"realm_access":{"roles":["user"],"roles":["admin"]}'),
  ),
  rawPayload('duplicate inside an object in an array', DUPLICATES, () =>
    claimsWith(',"list":[{"a":1,"a":2}]'),
  ),
  rawHeader('alg twice, none last', DUPLICATES, (t) => headerWith(t, ',"alg":"none"')),
  rawHeader(
    'alg twice, none first',
    DUPLICATES,
    (t) => `{"alg":"none",${headerWith(t, '').slice(1)}`,
  ),
  rawHeader('kid twice', DUPLICATES, (t) => headerWith(t, ',"kid":"a","kid":"b"')),
)

const PROTO = 'prototype pollution (CVE-2018-3721 class) / RFC 7515 §5.2'
rows.push(
  rawPayload('__proto__ member with admin roles', PROTO, () =>
    claimsWith(',"__proto__":{"roles":["admin"],"polluted":"yes"}'),
  ),
  rawPayload('__proto__ member, name escaped', PROTO, () =>
    claimsWith(',"\\u005f_proto__":{"polluted":"yes"}'),
  ),
  rawPayload('nested __proto__ member', PROTO, () =>
    claimsWith(',"a":{"b":{"__proto__":{"polluted":"yes"}}}'),
  ),
  rawPayload('__proto__ inside an array element', PROTO, () =>
    claimsWith(',"a":[{"__proto__":{"polluted":"yes"}}]'),
  ),
  rawPayload('__proto__ set to null', PROTO, () => claimsWith(',"__proto__":null')),
  rawHeader('__proto__ member in the header', PROTO, (t) =>
    headerWith(t, ',"__proto__":{"polluted":"yes","crit":["x"]}'),
  ),
)

const UTF8 = 'RFC 8259 §8.1 / RFC 3629 (invalid UTF-8)'
const utf8Cases: [string, Buffer][] = [
  ['a 0xff byte', Buffer.from([0xff])],
  ['an overlong "/" (C0 AF)', Buffer.from([0xc0, 0xaf])],
  ['an encoded lone surrogate (ED A0 80)', Buffer.from([0xed, 0xa0, 0x80])],
  ['a truncated sequence (E2 82)', Buffer.from([0xe2, 0x82])],
  ['a code point above U+10FFFF (F4 90 80 80)', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
  ['a bare continuation byte (80)', Buffer.from([0x80])],
]
for (const [label, bytes] of utf8Cases) {
  const inSub = (json: string): Buffer => {
    const [before, after] = json.split('alice')
    return Buffer.concat([Buffer.from(`${before}al`), bytes, Buffer.from(`ice${after}`)])
  }
  rows.push(rawPayload(`sub containing ${label}`, UTF8, () => inSub(JSON.stringify(validClaims()))))
}
rows.push(
  rawPayload('a UTF-8 byte order mark before the JSON', UTF8, () =>
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(validClaims()))]),
  ),
  rawPayload('UTF-16LE encoded JSON', UTF8, () =>
    Buffer.from(JSON.stringify(validClaims()), 'utf16le'),
  ),
  rawHeader('a 0xff byte in alg', UTF8, (t) =>
    Buffer.concat([Buffer.from(headerWith(t, ',"x":"')), Buffer.from([0xff]), Buffer.from('"}')]),
  ),
)

const NON_OBJECT = 'RFC 7519 §7.2 step 10 (claims are a JSON object)'
const nonObjects: [string, (t: Target) => string][] = [
  ['an empty array', () => '[]'],
  ['an array holding the claims', () => `[${JSON.stringify(validClaims())}]`],
  ['a string', () => '"alice"'],
  ['a number', () => '42'],
  ['null', () => 'null'],
  ['true', () => 'true'],
  ['whitespace only', () => '   '],
  ['trailing garbage after the object', () => `${JSON.stringify(validClaims())}x`],
  ['two objects', () => `${JSON.stringify(validClaims())}{"sub":"admin"}`],
  ['single-quoted JSON5', () => "{'sub':'alice'}"],
  ['a comment before the object', () => `/*x*/${JSON.stringify(validClaims())}`],
  ['a trailing comma', () => claimsWith(',')],
  ['NaN literal', () => claimsWith(',"n":NaN')],
  ['an unterminated object', () => JSON.stringify(validClaims()).slice(0, -1)],
]
for (const [label, payload] of nonObjects)
  rows.push(rawPayload(`payload is ${label}`, NON_OBJECT, payload))
for (const [label, header] of [
  ['an array', () => '[]'],
  ['the alg string', (t: Target) => JSON.stringify(t.alg)],
  ['null', () => 'null'],
] as const) {
  rows.push(rawHeader(`header is ${label}`, 'RFC 7515 §4 (header is a JSON object)', header))
}

const COMPACT = 'RFC 7515 §7.1 (compact serialisation)'
const shapes: [string, (token: string) => string, readonly AuthErrorCode[]][] = [
  ['one part (header only)', (tk) => parts(tk)[0], MALFORMED],
  ['two parts (no signature)', (tk) => parts(tk).slice(0, 2).join('.'), MALFORMED],
  ['four parts (extra segment)', (tk) => `${tk}.${parts(tk)[2]}`, MALFORMED],
  ['four parts (trailing dot)', (tk) => `${tk}.`, MALFORMED],
  ['six parts (two tokens joined)', (tk) => `${tk}.${tk}`, MALFORMED],
  ['nine parts (three tokens joined)', (tk) => `${tk}.${tk}.${tk}`, MALFORMED],
  ['leading dot', (tk) => `.${tk}`, MALFORMED],
  ['empty header', (tk) => `.${parts(tk)[1]}.${parts(tk)[2]}`, MALFORMED],
  ['empty payload', (tk) => `${parts(tk)[0]}..${parts(tk)[2]}`, MALFORMED],
  ['only dots', () => '..', MALFORMED],
  [
    'segments swapped (payload first)',
    (tk) => `${parts(tk)[1]}.${parts(tk)[0]}.${parts(tk)[2]}`,
    ['ERR_AUTH_TOKEN_HEADER_INVALID', 'ERR_AUTH_TOKEN_MALFORMED'],
  ],
  ['percent-encoded dots', (tk) => tk.replace(/\./g, '%2E'), MALFORMED],
  ['one segment percent-encoded', (tk) => tk.replace(/^e/, '%65'), MALFORMED],
  [
    'base64url padding on the signature',
    (tk) => `${tk}${'='.repeat((4 - (parts(tk)[2].length % 4)) % 4 || 2)}`,
    MALFORMED,
  ],
  ['a Unicode one-dot leader as separator', (tk) => tk.replace('.', '\u2024'), MALFORMED],
  ['a fullwidth full stop as separator', (tk) => tk.replace('.', '\uff0e'), MALFORMED],
  ['an invalid base64url character (*)', (tk) => `${tk.slice(0, 5)}*${tk.slice(6)}`, MALFORMED],
  [
    'a signature segment of length 4k+1',
    (tk) =>
      `${tk}${parts(tk)[2].length % 4 === 0 ? 'A' : 'AAAA'.slice(0, (5 - (parts(tk)[2].length % 4)) % 4 || 4)}`,
    ['ERR_AUTH_TOKEN_MALFORMED', 'ERR_AUTH_SIGNATURE_INVALID'],
  ],
]
for (const [label, mangle, codes] of shapes) {
  rows.push({
    ref: COMPACT,
    name: label,
    build: (t) => ({ headers: { Cookie: `${COOKIE}=${encodeURIComponent(mangle(tokenFor(t)))}` } }),
    codes,
  })
}

/** base64 with the standard alphabet (+ and /) and `=` padding. */
const stdBase64 = (bytes: Buffer): string => bytes.toString('base64')
/** base64url with `=` padding. */
const paddedBase64url = (bytes: Buffer): string => {
  const text = bytes.toString('base64url')
  return text + '='.repeat((4 - (text.length % 4)) % 4)
}
/** Valid claims with a filler that forces + and / into standard base64 and padding at the end. */
function awkwardClaims(): Record<string, unknown> {
  for (let n = 0; ; n++) {
    const claims = { ...validClaims(), note: `>>>???${'x'.repeat(n)}` }
    const text = stdBase64(Buffer.from(JSON.stringify(claims)))
    if (/[+/]/.test(text) && text.endsWith('=')) return claims
  }
}
rows.push(
  {
    ref: 'RFC 7515 §2 (base64url, not base64)',
    name: 'standard base64 with + / and padding, signed over that text',
    build: (t) => ({
      headers: {
        Cookie: `${COOKIE}=${encodeURIComponent(tokenFor(t, { claims: awkwardClaims(), encode: stdBase64 }))}`,
      },
    }),
    codes: MALFORMED,
  },
  {
    ref: 'RFC 7515 §2 (no padding)',
    name: 'base64url with = padding on every segment, signed over that text',
    build: (t) => ({
      headers: {
        Cookie: `${COOKIE}=${encodeURIComponent(tokenFor(t, { claims: awkwardClaims(), encode: paddedBase64url }))}`,
      },
    }),
    codes: MALFORMED,
  },
  {
    ref: 'RFC 4648 §3.5 (canonical encoding)',
    name: 'payload segment with non-zero trailing bits, signed over that text',
    build: (t) => {
      const [header, payload] = parts(tokenFor(t, { claims: awkwardClaims() }))
      const spelling = nonCanonical(payload)!
      const signature = signBytes(t.alg, t.signingKey, `${header}.${spelling}`)
      return { token: `${header}.${spelling}.${b64u(signature)}` }
    },
    codes: MALFORMED,
  },
)

const WHITESPACE: [string, (token: string) => string][] = [
  ['a space inside the payload', (tk) => `${tk.slice(0, 40)} ${tk.slice(40)}`],
  ['a newline between segments', (tk) => tk.replace('.', '\n.')],
  ['a tab at the end', (tk) => `${tk}\t`],
  ['a CRLF at the end', (tk) => `${tk}\r\n`],
  ['a leading space', (tk) => ` ${tk}`],
  ['a no-break space inside', (tk) => `${tk.slice(0, 30)}\u00a0${tk.slice(30)}`],
]
for (const [label, mangle] of WHITESPACE) {
  rows.push({
    ref: 'RFC 7515 §7.1 (no whitespace in the compact form)',
    name: `${label}, in a percent-encoded cookie`,
    build: (t) => ({ headers: { Cookie: `${COOKIE}=${encodeURIComponent(mangle(tokenFor(t)))}` } }),
    codes: MALFORMED,
  })
}

/** The JSON serialisations of a valid token (RFC 7515 §7.2). */
function jsonSerialisations(t: Target): [string, string][] {
  const [protectedHeader, payload, signature] = parts(tokenFor(t))
  const flattened = JSON.stringify({ protected: protectedHeader, payload, signature })
  const general = JSON.stringify({
    payload,
    signatures: [{ protected: protectedHeader, signature }],
  })
  const jwe = JSON.stringify({
    protected: b64u('{"alg":"dir","enc":"A256GCM"}'),
    iv: 'aXY',
    ciphertext: 'Y3Q',
    tag: 'dGFn',
  })
  return [
    ['flattened JWS JSON', flattened],
    ['general JWS JSON', general],
    ['flattened JWE JSON', jwe],
    ['base64url of the flattened JWS JSON', b64u(flattened)],
  ]
}
for (const label of [
  'flattened JWS JSON',
  'general JWS JSON',
  'flattened JWE JSON',
  'base64url of the flattened JWS JSON',
]) {
  rows.push(
    {
      ref: 'RFC 7515 §7.2 (JSON serialisation not accepted)',
      name: `${label} in a percent-encoded cookie`,
      build: (t) => ({
        headers: {
          Cookie: `${COOKIE}=${encodeURIComponent(jsonSerialisations(t).find(([l]) => l === label)![1])}`,
        },
      }),
      codes: MALFORMED,
    },
    {
      ref: 'RFC 7515 §7.2 (JSON serialisation not accepted)',
      name: `${label} in the Authorization header`,
      build: (t) => ({ token: jsonSerialisations(t).find(([l]) => l === label)![1] }),
      codes: ['ERR_AUTH_TOKEN_MALFORMED', 'ERR_AUTH_HEADER_MALFORMED'],
    },
  )
}

runAttackTable('JSON and encoding', rows)

describe('prototype pollution', () => {
  it('validly signed tokens with constructor/prototype members pass without polluting anything', async () => {
    for (const t of TARGETS) {
      const srv = await startServer(t)
      try {
        const payload = claimsWith(
          ',"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"},"toString":"x","hasOwnProperty":"y"',
        )
        const header = headerWith(t, ',"constructor":{"prototype":{"polluted":"yes"}}')
        const before = srv.ran()
        expectPassed(
          await send(srv, { token: tokenFor(t, { rawPayload: payload, rawHeader: header }) }),
          srv,
          before,
        )
        const attempt = tokenFor(t, { rawPayload: claimsWith(',"__proto__":{"polluted":"yes"}') })
        const ranBefore = srv.ran()
        expectAttackRejected(await send(srv, { token: attempt }), srv, ranBefore, MALFORMED)
      } finally {
        await srv.close()
      }
    }
  })

  afterAll(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(({} as Record<string, unknown>).roles).toBeUndefined()
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNamesBefore)
    expect(Object.prototype.toString.call({})).toBe('[object Object]')
  })
})
