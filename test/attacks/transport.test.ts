/**
 * Transport attacks: how the token reaches the server (RFC 6750 §2, RFC 7235 §2.1, RFC 6265 §4.2).
 * Scheme variants, other schemes, trailing garbage, duplicate `Authorization` lines (sent raw,
 * because Node keeps only one), duplicate and disagreeing cookies, cookie-name case, quoted,
 * percent-encoded and JSON cookie values, tokens in places jwt-gate never reads, and oversized
 * tokens and headers.
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import type { AuthErrorCode } from '../../src/index.js'
import { attackerKeys } from './helpers/keys.js'
import {
  expectPassed,
  expectRefusedByNode,
  expectAttackRejected,
  runAttackTable,
  send,
  startServer,
} from './helpers/harness.js'
import type { AttackRequest, AttackRow, AttackServer } from './helpers/harness.js'
import { COOKIE, TARGETS, tokenFor } from './helpers/targets.js'
import type { Target } from './helpers/targets.js'

const MISSING: AuthErrorCode[] = ['ERR_AUTH_TOKEN_MISSING']
const AMBIGUOUS: AuthErrorCode[] = ['ERR_AUTH_CREDENTIALS_AMBIGUOUS']
const HEADER_MALFORMED: AuthErrorCode[] = ['ERR_AUTH_HEADER_MALFORMED']
const MALFORMED: AuthErrorCode[] = ['ERR_AUTH_TOKEN_MALFORMED']

/** A token the attacker made: right shape, wrong key. */
const evil = (t: Target): string =>
  tokenFor(t, {
    claims: { sub: 'admin' },
    key:
      t.alg === 'HS256'
        ? attackerKeys.secret
        : t.alg === 'ES256'
          ? attackerKeys.es256.privateKey
          : t.alg === 'RS256'
            ? attackerKeys.rsa.privateKey
            : attackerKeys.ed25519.privateKey,
  })

const header =
  (value: (t: Target) => string) =>
  (t: Target): AttackRequest => ({
    headers: { Authorization: value(t) },
  })
const raw =
  (lines: (t: Target) => string[]) =>
  (t: Target): AttackRequest => ({
    raw: [
      'GET /protected HTTP/1.1',
      'Host: 127.0.0.1',
      ...lines(t),
      'Connection: close',
      '',
      '',
    ].join('\r\n'),
  })

const rows: AttackRow[] = []
const SCHEME = 'RFC 6750 §2.1 / RFC 7235 §2.1 (Bearer scheme)'
const schemes: [string, (t: Target) => string, readonly AuthErrorCode[]][] = [
  ['no scheme, just the valid token', (t) => tokenFor(t), MISSING],
  ['scheme Token', (t) => `Token ${tokenFor(t)}`, MISSING],
  ['scheme JWT', (t) => `JWT ${tokenFor(t)}`, MISSING],
  ['scheme Basic with the token', (t) => `Basic ${tokenFor(t)}`, MISSING],
  [
    'scheme Basic with user:pass',
    () => `Basic ${Buffer.from('admin:admin').toString('base64')}`,
    MISSING,
  ],
  ['scheme Digest', () => 'Digest username="admin", realm="api", nonce="x", response="y"', MISSING],
  ['scheme Bearer: with a colon', (t) => `Bearer: ${tokenFor(t)}`, MISSING],
  ['scheme Bearer= with the token glued', (t) => `Bearer=${tokenFor(t)}`, MISSING],
  ['scheme BearerX', (t) => `BearerX ${tokenFor(t)}`, MISSING],
  ['scheme Bearer glued to the token', (t) => `Bearer${tokenFor(t)}`, MISSING],
  ['scheme and token separated by a tab', (t) => `Bearer\t${tokenFor(t)}`, MISSING],
  ['Bearer without a token', () => 'Bearer', HEADER_MALFORMED],
  ['Bearer followed by spaces only', () => 'Bearer    ', HEADER_MALFORMED],
  ['two tokens', (t) => `Bearer ${tokenFor(t)} ${tokenFor(t)}`, HEADER_MALFORMED],
  ['trailing garbage after a space', (t) => `Bearer ${tokenFor(t)} garbage`, HEADER_MALFORMED],
  ['trailing comma', (t) => `Bearer ${tokenFor(t)},`, HEADER_MALFORMED],
  [
    'a second credential after a comma',
    (t) => `Bearer ${evil(t)}, Bearer ${tokenFor(t)}`,
    HEADER_MALFORMED,
  ],
  ['a second scheme after a comma', (t) => `Bearer ${tokenFor(t)}, Basic YTpi`, HEADER_MALFORMED],
  ['trailing semicolon', (t) => `Bearer ${tokenFor(t)};`, MALFORMED],
  [
    'trailing garbage glued on',
    (t) => `Bearer ${tokenFor(t)}garbage`,
    ['ERR_AUTH_SIGNATURE_INVALID', 'ERR_AUTH_TOKEN_MALFORMED'],
  ],
  ['quoted token', (t) => `Bearer "${tokenFor(t)}"`, MALFORMED],
  ['auth-param syntax token=', (t) => `Bearer token=${tokenFor(t)}`, MALFORMED],
  ['base64-padded token', (t) => `Bearer ${tokenFor(t)}=`, MALFORMED],
  [
    'Latin-1 letters in the token',
    (t) => `Bearer ${tokenFor(t).slice(0, 20)}\u00f6${tokenFor(t).slice(21)}`,
    MALFORMED,
  ],
  [
    'the attacker token under the right scheme',
    (t) => `Bearer ${evil(t)}`,
    ['ERR_AUTH_SIGNATURE_INVALID'],
  ],
]
for (const [label, value, codes] of schemes) {
  rows.push({ ref: SCHEME, name: label, build: header(value), codes })
}

const DUPLICATE_LINES = 'RFC 9110 §5.3 (a singleton header sent twice) / request smuggling'
rows.push(
  {
    ref: DUPLICATE_LINES,
    name: 'two Authorization lines, valid then attacker',
    build: raw((t) => [`Authorization: Bearer ${tokenFor(t)}`, `Authorization: Bearer ${evil(t)}`]),
    codes: AMBIGUOUS,
  },
  {
    ref: DUPLICATE_LINES,
    name: 'two Authorization lines, attacker then valid',
    build: raw((t) => [`Authorization: Bearer ${evil(t)}`, `Authorization: Bearer ${tokenFor(t)}`]),
    codes: AMBIGUOUS,
  },
  {
    ref: DUPLICATE_LINES,
    name: 'two identical valid Authorization lines',
    build: raw((t) => [
      `Authorization: Bearer ${tokenFor(t)}`,
      `Authorization: Bearer ${tokenFor(t)}`,
    ]),
    codes: AMBIGUOUS,
  },
  {
    ref: DUPLICATE_LINES,
    name: 'Authorization and AUTHORIZATION lines',
    build: raw((t) => [`Authorization: Bearer ${evil(t)}`, `AUTHORIZATION: Bearer ${tokenFor(t)}`]),
    codes: AMBIGUOUS,
  },
  {
    ref: DUPLICATE_LINES,
    name: 'a Basic line and a Bearer line',
    build: raw((t) => ['Authorization: Basic YTpi', `Authorization: Bearer ${tokenFor(t)}`]),
    codes: AMBIGUOUS,
  },
  {
    ref: DUPLICATE_LINES,
    name: 'an empty Authorization line before the valid one',
    build: raw((t) => ['Authorization:', `Authorization: Bearer ${tokenFor(t)}`]),
    codes: AMBIGUOUS,
  },
)

const COOKIES = 'RFC 6265 §4.2 / §5.4 (cookie header)'
const cookie =
  (value: (t: Target) => string) =>
  (t: Target): AttackRequest => ({
    headers: { Cookie: value(t) },
  })
const cookieRows: [string, AttackRow['build'], readonly AuthErrorCode[]][] = [
  [
    'token cookie twice, valid first',
    cookie((t) => `${COOKIE}=${tokenFor(t)}; ${COOKIE}=${evil(t)}`),
    AMBIGUOUS,
  ],
  [
    'token cookie twice, attacker first',
    cookie((t) => `${COOKIE}=${evil(t)}; ${COOKIE}=${tokenFor(t)}`),
    AMBIGUOUS,
  ],
  [
    'token cookie twice, the same valid value',
    cookie((t) => `${COOKIE}=${tokenFor(t)}; ${COOKIE}=${tokenFor(t)}`),
    AMBIGUOUS,
  ],
  [
    'token cookie twice, one with spaces around the name',
    cookie((t) => `${COOKIE}=${evil(t)};  ${COOKIE} =${tokenFor(t)}`),
    AMBIGUOUS,
  ],
  [
    'token cookie twice, the second one empty',
    cookie((t) => `${COOKIE}=${evil(t)}; ${COOKIE}=`),
    AMBIGUOUS,
  ],
  [
    'token cookie in two Cookie lines',
    raw((t) => [`Cookie: ${COOKIE}=${tokenFor(t)}`, `Cookie: ${COOKIE}=${evil(t)}`]),
    AMBIGUOUS,
  ],
  [
    'cookie and header disagree (header valid)',
    (t) => ({ token: tokenFor(t), headers: { Cookie: `${COOKIE}=${evil(t)}` } }),
    AMBIGUOUS,
  ],
  [
    'cookie and header disagree (cookie valid)',
    (t) => ({ token: evil(t), headers: { Cookie: `${COOKIE}=${tokenFor(t)}` } }),
    AMBIGUOUS,
  ],
  ['cookie name in other case', cookie((t) => `Access_Token=${tokenFor(t)}`), MISSING],
  ['cookie name in upper case', cookie((t) => `${COOKIE.toUpperCase()}=${tokenFor(t)}`), MISSING],
  ['cookie name percent-encoded', cookie((t) => `access%5Ftoken=${tokenFor(t)}`), MISSING],
  ['cookie name with a prefix', cookie((t) => `__Host-${COOKIE}=${tokenFor(t)}`), MISSING],
  [
    'quoted attacker token',
    cookie((t) => `${COOKIE}="${evil(t)}"`),
    ['ERR_AUTH_SIGNATURE_INVALID'],
  ],
  ['half-quoted valid token', cookie((t) => `${COOKIE}="${tokenFor(t)}`), MALFORMED],
  [
    'percent-encoded attacker token',
    cookie((t) => `${COOKIE}=${encodeURIComponent(evil(t)).replace(/\./g, '%2E')}`),
    ['ERR_AUTH_SIGNATURE_INVALID'],
  ],
  ['broken percent-encoding', cookie(() => `${COOKIE}=%E0%A4%A.x.y`), MALFORMED],
  [
    'cookie-parser JSON cookie (j:) holding an object',
    cookie((t) => `${COOKIE}=j:${encodeURIComponent(JSON.stringify({ token: tokenFor(t) }))}`),
    MALFORMED,
  ],
  [
    'cookie-parser JSON cookie (j:) holding an array',
    cookie((t) => `${COOKIE}=j:${encodeURIComponent(JSON.stringify([tokenFor(t)]))}`),
    MALFORMED,
  ],
  [
    'signed-cookie syntax on an unsigned cookie',
    cookie((t) => `${COOKIE}=s:${tokenFor(t)}.c2ln`),
    MALFORMED,
  ],
]
for (const [label, build, codes] of cookieRows)
  rows.push({ ref: COOKIES, name: label, build, codes })

const ELSEWHERE = 'RFC 6750 §2.3 / §5.3 (tokens in URIs and other headers are not read)'
const elsewhere: [string, (t: Target) => AttackRequest][] = [
  ['query access_token', (t) => ({ path: `/protected?access_token=${tokenFor(t)}` })],
  ['query token', (t) => ({ path: `/protected?token=${tokenFor(t)}` })],
  ['query jwt', (t) => ({ path: `/protected?jwt=${tokenFor(t)}` })],
  [
    'query Authorization',
    (t) => ({ path: `/protected?authorization=${encodeURIComponent(`Bearer ${tokenFor(t)}`)}` }),
  ],
  [
    'form body access_token (RFC 6750 §2.2)',
    (t) => ({
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `access_token=${tokenFor(t)}`,
    }),
  ],
  ['X-Access-Token header', (t) => ({ headers: { 'X-Access-Token': tokenFor(t) } })],
  ['X-Auth-Token header', (t) => ({ headers: { 'X-Auth-Token': tokenFor(t) } })],
  [
    'X-Forwarded-Authorization header',
    (t) => ({ headers: { 'X-Forwarded-Authorization': `Bearer ${tokenFor(t)}` } }),
  ],
  [
    'Proxy-Authorization header',
    (t) => ({ headers: { 'Proxy-Authorization': `Bearer ${tokenFor(t)}` } }),
  ],
  [
    'Authentication header (typo)',
    (t) => ({ headers: { Authentication: `Bearer ${tokenFor(t)}` } }),
  ],
  ['another cookie name (token)', (t) => ({ headers: { Cookie: `token=${tokenFor(t)}` } })],
  ['another cookie name (jwt)', (t) => ({ headers: { Cookie: `jwt=${tokenFor(t)}` } })],
]
for (const [label, build] of elsewhere)
  rows.push({ ref: ELSEWHERE, name: label, build, codes: MISSING })

const OVERSIZE = 'CWE-400 (oversized input)'
const longToken = (t: Target, size: number): string =>
  tokenFor(t, { claims: { pad: 'x'.repeat(Math.ceil((size * 3) / 4)) } })
rows.push(
  {
    ref: OVERSIZE,
    name: 'validly signed token of 8.2 kB (limit 8192)',
    build: (t) => ({ token: longToken(t, 8200) }),
    codes: ['ERR_AUTH_TOKEN_TOO_LONG'],
  },
  {
    ref: OVERSIZE,
    name: 'token of 15 kB in the header',
    build: (t) => ({ token: longToken(t, 15_000) }),
    codes: ['ERR_AUTH_TOKEN_TOO_LONG'],
  },
  {
    ref: OVERSIZE,
    name: 'token of 12 kB in the cookie',
    build: (t) => ({ headers: { Cookie: `${COOKIE}=${longToken(t, 12_000)}` } }),
    codes: ['ERR_AUTH_TOKEN_TOO_LONG'],
  },
  {
    ref: OVERSIZE,
    name: '15 kB of dots',
    build: () => ({ token: '.'.repeat(15_000) }),
    codes: ['ERR_AUTH_TOKEN_TOO_LONG'],
  },
  {
    ref: OVERSIZE,
    name: 'Authorization header of 20 kB (over Node max header size)',
    build: (t) => ({ token: longToken(t, 20_000) }),
    byNode: true,
  },
  {
    ref: OVERSIZE,
    name: 'Authorization header of 1 MiB, raw',
    build: raw(() => [`Authorization: Bearer ${'A'.repeat(1 << 20)}`]),
    byNode: true,
  },
  {
    ref: OVERSIZE,
    name: 'Cookie header of 64 KiB (many cookies)',
    build: (t) => ({
      headers: {
        Cookie:
          Array.from({ length: 4000 }, (_, i) => `c${i}=${'v'.repeat(10)}`).join('; ') +
          `; ${COOKIE}=${tokenFor(t)}`,
      },
    }),
    byNode: true,
  },
  {
    ref: 'RFC 9110 §5.5 (field values)',
    name: 'a NUL byte in the Authorization header, raw',
    build: raw((t) => [
      `Authorization: Bearer ${tokenFor(t).slice(0, 10)}\u0000${tokenFor(t).slice(10)}`,
    ]),
    byNode: true,
  },
)

const RAW = 'RFC 9112 §5 (field syntax) / request smuggling'
const rawRequest = (firstLine: string, lines: string[]): AttackRequest => ({
  raw: [firstLine, 'Host: 127.0.0.1', ...lines, 'Connection: close', '', ''].join('\r\n'),
})
rows.push(
  {
    ref: RAW,
    name: 'Authorization folded over two lines (obs-fold)',
    build: (t) =>
      rawRequest('GET /protected HTTP/1.1', ['Authorization: Bearer', ` ${tokenFor(t)}`]),
    byNode: true,
  },
  {
    ref: RAW,
    name: 'whitespace between the header name and the colon',
    build: (t) => rawRequest('GET /protected HTTP/1.1', [`Authorization : Bearer ${tokenFor(t)}`]),
    byNode: true,
  },
  {
    ref: RAW,
    name: 'a NUL byte inside the header name',
    build: (t) =>
      rawRequest('GET /protected HTTP/1.1', [`Author\u0000ization: Bearer ${tokenFor(t)}`]),
    byNode: true,
  },
  {
    ref: RAW,
    name: 'a look-alike header name (Authori_zation)',
    build: (t) => rawRequest('GET /protected HTTP/1.1', [`Authori_zation: Bearer ${tokenFor(t)}`]),
    codes: MISSING,
  },
)
for (const firstLine of [
  'GET /protected HTTP/1.0',
  'GET http://evil.example/protected HTTP/1.1',
  'HEAD /protected HTTP/1.1',
  'OPTIONS /protected HTTP/1.1',
  'DELETE /protected HTTP/1.1',
]) {
  rows.push({
    ref: 'RFC 9110 §9 (every method and request form is checked)',
    name: `expired token with "${firstLine}"`,
    build: (t) =>
      rawRequest(firstLine, [`Authorization: Bearer ${tokenFor(t, { claims: { exp: 1 } })}`]),
    codes: ['ERR_AUTH_TOKEN_EXPIRED'],
  })
}

runAttackTable('transport', rows)

describe.each(TARGETS)('transport controls [$name]', (t) => {
  let srv: AttackServer
  beforeAll(async () => {
    srv = await startServer(t)
  })
  afterAll(async () => {
    await srv.close()
  })
  const controls: [string, (t: Target) => AttackRequest][] = [
    [
      'scheme in lower case (RFC 7235 §2.1: case-insensitive)',
      (x) => ({ headers: { Authorization: `bearer ${tokenFor(x)}` } }),
    ],
    ['scheme in upper case', (x) => ({ headers: { Authorization: `BEARER ${tokenFor(x)}` } })],
    [
      'several spaces after the scheme (RFC 7235 §2.1: 1*SP)',
      (x) => ({ headers: { Authorization: `Bearer    ${tokenFor(x)}` } }),
    ],
    [
      'cookie and header carrying the same token',
      (x) => {
        const token = tokenFor(x)
        return { token, headers: { Cookie: `${COOKIE}=${token}` } }
      },
    ],
    [
      'the token cookie among others',
      (x) => ({ headers: { Cookie: `a=1; ${COOKIE}=${tokenFor(x)}; b=2` } }),
    ],
    [
      'a percent-encoded valid token cookie (decoded to the same token)',
      (x) => ({ headers: { Cookie: `${COOKIE}=${tokenFor(x).replace(/\./g, '%2E')}` } }),
    ],
    [
      'a quoted valid token cookie (RFC 6265 §4.1.1 DQUOTE form)',
      (x) => ({ headers: { Cookie: `${COOKIE}="${tokenFor(x)}"` } }),
    ],
  ]
  for (const [label, build] of controls) {
    it(`control: ${label} passes`, async () => {
      const before = srv.ran()
      expectPassed(await send(srv, build(t)), srv, before)
    })
  }
  it('the server stays responsive after the oversized requests', async () => {
    const big = await send(srv, { token: 'A'.repeat(30_000) })
    expectRefusedByNode(big, srv, srv.ran())
    const before = srv.ran()
    expectPassed(await send(srv, { token: tokenFor(t) }), srv, before)
  })
  it('the attacker token alone is refused (sanity of the rows above)', async () => {
    const before = srv.ran()
    expectAttackRejected(await send(srv, { token: evil(t) }), srv, before, [
      'ERR_AUTH_SIGNATURE_INVALID',
    ])
  })
})
