/**
 * Cross-site request forgery against cookie-borne tokens (OWASP CSRF; Fetch Metadata, W3C
 * "Fetch Metadata Request Headers"; RFC 6454 Origin). With `csrf` on, an unsafe cookie-authenticated
 * request from another site is a 403 and the handler never runs; same-origin requests, safe
 * methods, non-browser clients and header-borne tokens pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthErrorCode } from '../../src/index.js'
import { expectPassed, send, startServer } from './helpers/harness.js'
import type { AttackRequest, AttackServer } from './helpers/harness.js'
import { COOKIE, target, tokenFor } from './helpers/targets.js'
import type { Target } from './helpers/targets.js'

const TRUSTED = 'https://app.example.org'
const base = target('hs256-secret')
const guarded: Target = {
  ...base,
  name: 'csrf',
  options: () => ({ ...base.options(), csrf: { trustedOrigins: [TRUSTED] } }),
}

let srv: AttackServer
beforeAll(async () => {
  srv = await startServer(guarded)
})
afterAll(async () => {
  await srv.close()
})

/** A cookie-authenticated request with the given method and headers. */
const withCookie = (method: string, headers: Record<string, string>): AttackRequest => ({
  raw: [
    `${method} /protected HTTP/1.1`,
    `Host: 127.0.0.1:${srv.port}`,
    `Cookie: ${COOKIE}=${tokenFor(base)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    'Content-Length: 0',
    'Connection: close',
    '',
    '',
  ].join('\r\n'),
})

const FORGED: [string, string, Record<string, string>][] = [
  ['cross-site POST (Fetch Metadata only)', 'POST', { 'Sec-Fetch-Site': 'cross-site' }],
  [
    'cross-site POST from an attacker origin',
    'POST',
    { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' },
  ],
  [
    'same-site POST from a sibling subdomain',
    'POST',
    { 'Sec-Fetch-Site': 'same-site', Origin: 'https://sub.example.org' },
  ],
  [
    'cross-site POST from a look-alike of the trusted origin',
    'POST',
    { 'Sec-Fetch-Site': 'cross-site', Origin: `${TRUSTED}.evil.example` },
  ],
  [
    'cross-site POST from the trusted origin over http',
    'POST',
    { 'Sec-Fetch-Site': 'cross-site', Origin: TRUSTED.replace('https', 'http') },
  ],
  ['cross-site PUT', 'PUT', { 'Sec-Fetch-Site': 'cross-site' }],
  ['cross-site PATCH', 'PATCH', { 'Sec-Fetch-Site': 'cross-site' }],
  ['cross-site DELETE', 'DELETE', { 'Sec-Fetch-Site': 'cross-site' }],
  ['an unknown Sec-Fetch-Site value', 'POST', { 'Sec-Fetch-Site': 'Same-Origin' }],
  [
    'an older browser: Origin of an attacker, no Fetch Metadata',
    'POST',
    { Origin: 'https://evil.example' },
  ],
  ['an older browser: Origin null (sandboxed iframe, data: URL)', 'POST', { Origin: 'null' }],
  ['an older browser: a malformed Origin', 'POST', { Origin: 'evil' }],
  [
    'an older browser: Origin of the same host on another port',
    'POST',
    { Origin: 'http://127.0.0.1:1' },
  ],
]

describe('CSRF: forged cookie-authenticated requests are refused', () => {
  for (const [name, method, headers] of FORGED) {
    it(`${name}: 403, the handler did not run`, async () => {
      const before = srv.ran()
      const res = await send(srv, withCookie(method, headers))
      expect(srv.ran()).toBe(before)
      expect(res.status).toBe(403)
      expect(srv.lastRejection()?.code).toBe<AuthErrorCode>('ERR_AUTH_CSRF_REJECTED')
    })
  }

  it('two Origin lines (attacker first): refused', async () => {
    const before = srv.ran()
    const twice = await send(srv, {
      raw: [
        'POST /protected HTTP/1.1',
        `Host: 127.0.0.1:${srv.port}`,
        `Cookie: ${COOKIE}=${tokenFor(base)}`,
        'Origin: https://evil.example',
        `Origin: http://127.0.0.1:${srv.port}`,
        'Content-Length: 0',
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
    })
    expect(twice.status).toBe(403)
    expect(srv.ran()).toBe(before)
  })
})

describe('CSRF: legitimate requests pass', () => {
  const ALLOWED: [string, string, Record<string, string>][] = [
    ['same-origin POST (Fetch Metadata)', 'POST', { 'Sec-Fetch-Site': 'same-origin' }],
    ['user-initiated POST (Sec-Fetch-Site: none)', 'POST', { 'Sec-Fetch-Site': 'none' }],
    [
      'cross-site POST from the trusted origin',
      'POST',
      { 'Sec-Fetch-Site': 'cross-site', Origin: TRUSTED },
    ],
    ['a non-browser client (neither header)', 'POST', {}],
    ['cross-site GET (a safe method is never checked)', 'GET', { 'Sec-Fetch-Site': 'cross-site' }],
  ]
  for (const [name, method, headers] of ALLOWED) {
    it(`${name}: 200`, async () => {
      const before = srv.ran()
      expectPassed(await send(srv, withCookie(method, headers)), srv, before)
    })
  }

  it('an older browser: Origin of this very host passes', async () => {
    const before = srv.ran()
    const res = await send(srv, withCookie('POST', { Origin: `http://127.0.0.1:${srv.port}` }))
    expectPassed(res, srv, before)
  })

  it('a bearer token sent cross-site is not a CSRF vector (browsers never add it) and passes', async () => {
    const before = srv.ran()
    const res = await send(srv, {
      method: 'POST',
      token: tokenFor(base),
      headers: { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' },
    })
    expectPassed(res, srv, before)
  })
})
