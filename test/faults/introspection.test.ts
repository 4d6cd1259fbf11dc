/**
 * Introspection faults against a hand-written endpoint on loopback (issue 25, point 1): slow (the
 * gate's own deadline), down, an error status, garbage, not JSON, oversized, an `active: true`
 * answer for an expired token, another issuer's answer, bad signed answers; never a pass. Also
 * what the real provider cannot show: JWTs introspected `always` and `every` N seconds
 * (oidc-provider refuses to introspect structured tokens), signed answers in `json` mode, the
 * inactive answer held briefly, and a cache that never sees the token.
 *
 * The gate's clock is fixed and stepped by the tests; the deadline uses real timers.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'
import type { KeyObject } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AuthenticateOptions, IssuerOptions } from '../../src/index.js'
import { createMemoryIntrospectionCache, createMemoryUserStore } from '../../src/stores/memory.js'
import { ed25519, ed25519Other } from '../helpers/keys.js'
import { ISSUER, NOW, NOW_S, sign } from '../helpers/tokens.js'
import { expectPass, expectRefused, startGate } from '../provider/gate.js'
import type { Gate } from '../provider/gate.js'

const CLIENT_ID = 'api-client'
const CLIENT_SECRET = 'api-client-secret'
const OPAQUE = 'opaque-token-0123456789abcdef'

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void

let server: Server
let endpoint: string
let handler: Handler
let calls: { authorization: string | undefined; body: URLSearchParams }[]
let nowMs: number
const gates: Gate[] = []

const json = (value: unknown, type = 'application/json'): Handler => {
  return (_req, _body, res) => {
    res.writeHead(200, { 'content-type': type })
    res.end(typeof value === 'string' ? value : JSON.stringify(value))
  }
}
const activeAnswer = (extra: Record<string, unknown> = {}) => ({
  active: true,
  sub: 'alice',
  iss: ISSUER,
  scope: 'reports:read',
  client_id: 'some-client',
  exp: NOW_S + 600,
  iat: NOW_S,
  ...extra,
})

beforeEach(async () => {
  calls = []
  nowMs = NOW.getTime()
  handler = json(activeAnswer())
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      calls.push({ authorization: req.headers.authorization, body: new URLSearchParams(body) })
      handler(req, body, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`
})

afterEach(async () => {
  for (const gate of gates.splice(0)) await gate.middleware.close()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

type Introspection = NonNullable<IssuerOptions['introspection']>

function gate(
  introspection: Partial<Introspection> = {},
  extra: Partial<AuthenticateOptions> = {},
) {
  const started = startGate({
    clock: () => new Date(nowMs),
    issuers: [
      {
        issuer: ISSUER,
        audience: false,
        key: { pem: ed25519.publicPem },
        introspection: {
          endpoint,
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          ...introspection,
        },
      },
    ],
    ...extra,
  })
  gates.push(started)
  return started
}

describe('the introspection endpoint failing: 503, never a pass', () => {
  it('asks with the client secret (Basic) and the token in the form', async () => {
    const g = gate()
    await expectPass(g, OPAQUE)
    const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')
    expect(calls).toHaveLength(1)
    expect(calls[0]!.authorization).toBe(`Basic ${basic}`)
    expect(calls[0]!.body.get('token')).toBe(OPAQUE)
    expect(calls[0]!.body.get('token_type_hint')).toBe('access_token')
  })

  it('gives up at its own deadline on a slow endpoint', async () => {
    handler = () => undefined
    const g = gate({ timeout: 200 })
    const started = Date.now()
    await expectRefused(g, OPAQUE, 503, 'ERR_AUTH_INTROSPECTION_UNAVAILABLE')
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('answers 503 when the endpoint is down', async () => {
    handler = (req) => req.socket.destroy()
    await expectRefused(gate(), OPAQUE, 503, 'ERR_AUTH_INTROSPECTION_UNAVAILABLE')
  })

  it.each<[string, Handler]>([
    ['an error status', (_req, _body, res) => res.writeHead(500).end('{}')],
    ['a body that is not JSON', json('<html>oops</html>', 'text/html')],
    ['a JSON array', json([{ active: true }])],
    ['no boolean active', json({ active: 'true', sub: 'alice' })],
    ['a mistyped member', json(activeAnswer({ scope: ['reports:read'] }))],
    ['an oversized body', json(activeAnswer({ padding: 'x'.repeat(70_000) }))],
    ['a redirect', (_req, _body, res) => res.writeHead(302, { location: '/' }).end()],
  ])('answers 503 for %s, and asks again next time', async (_what, bad) => {
    handler = bad
    const g = gate()
    await expectRefused(g, OPAQUE, 503, 'ERR_AUTH_INTROSPECTION_UNAVAILABLE')
    handler = json(activeAnswer())
    await expectPass(g, OPAQUE)
  })
})

describe('answers that refuse the token: 401', () => {
  it('refuses active: true for an expired token', async () => {
    handler = json(activeAnswer({ exp: NOW_S - 1 }))
    await expectRefused(gate(), OPAQUE, 401, 'ERR_AUTH_TOKEN_EXPIRED')
  })

  it("refuses another issuer's answer (401: the token is not this issuer's)", async () => {
    handler = json(activeAnswer({ iss: 'https://elsewhere.example' }))
    await expectRefused(gate(), OPAQUE, 401, 'ERR_AUTH_ISSUER_UNTRUSTED')
  })

  it('refuses an active answer without sub, as a JWT without one', async () => {
    handler = json(activeAnswer({ sub: undefined }))
    await expectRefused(gate(), OPAQUE, 401, 'ERR_AUTH_CLAIMS_INVALID')
  })

  it('holds an inactive answer for negativeTtl only', async () => {
    handler = json({ active: false })
    const g = gate({ negativeTtl: 5 })
    await expectRefused(g, OPAQUE, 401, 'ERR_AUTH_TOKEN_INACTIVE')
    await expectRefused(g, OPAQUE, 401, 'ERR_AUTH_TOKEN_INACTIVE')
    expect(calls).toHaveLength(1)
    nowMs += 5_000
    await expectRefused(g, OPAQUE, 401, 'ERR_AUTH_TOKEN_INACTIVE')
    expect(calls).toHaveLength(2)
  })

  it('holds an active answer until the token expires, not past it', async () => {
    handler = json(activeAnswer({ exp: NOW_S + 20 }))
    const g = gate({ cacheTtl: 60 })
    await expectPass(g, OPAQUE)
    nowMs += 19_000
    await expectPass(g, OPAQUE)
    expect(calls).toHaveLength(1)
    nowMs += 1_000
    await expectRefused(g, OPAQUE, 401, 'ERR_AUTH_TOKEN_EXPIRED')
  })
})

describe('the checks after the answer', () => {
  it('runs the user check on an introspected token: the store’s roles, an unknown user refused', async () => {
    const store = createMemoryUserStore([{ username: 'alice', roles: ['admin'] }])
    const g = gate({}, { users: { store } })
    await expectPass(g, OPAQUE)
    handler = json(activeAnswer({ sub: 'bob' }))
    await expectRefused(g, 'another-opaque-token', 401, 'ERR_AUTH_USER_UNKNOWN')
  })

  it('refuses a malformed opaque token before any call', async () => {
    const g = gate()
    await expectRefused(g, 'not~valid=token=x', 401, 'ERR_AUTH_TOKEN_MALFORMED')
    await expectRefused(g, 'x'.repeat(9000), 401, 'ERR_AUTH_TOKEN_TOO_LONG')
    expect(calls).toHaveLength(0)
  })
})

describe('JWTs introspected on top of local verification', () => {
  it('always: asks on every request, and refuses a valid JWT the endpoint calls inactive', async () => {
    const g = gate({ opaque: false, jwt: 'always' })
    const token = await sign(ed25519.privateKey)
    const request = { headers: { authorization: `Bearer ${token}` } }
    const context = await g.middleware.authenticator.authenticate(request)
    expect(context).toMatchObject({ subject: 'alice', verifiedBy: 'signature+introspection' })
    await expectPass(g, token)
    expect(calls).toHaveLength(2)
    handler = json({ active: false })
    await expectRefused(g, token, 401, 'ERR_AUTH_TOKEN_INACTIVE')
  })

  it('every N seconds: one call per token per N seconds', async () => {
    const g = gate({ opaque: false, jwt: { every: 30 } })
    const token = await sign(ed25519.privateKey)
    await expectPass(g, token)
    await expectPass(g, token)
    nowMs += 29_000
    await expectPass(g, token)
    expect(calls).toHaveLength(1)
    nowMs += 1_000
    await expectPass(g, token)
    expect(calls).toHaveLength(2)
  })

  it('refuses an answer about another subject', async () => {
    const g = gate({ opaque: false, jwt: 'always' })
    handler = json(activeAnswer({ sub: 'mallory' }))
    await expectRefused(g, await sign(ed25519.privateKey), 401, 'ERR_AUTH_TOKEN_INACTIVE')
  })

  it('never introspects a JWT whose signature fails', async () => {
    const g = gate({ opaque: false, jwt: 'always' })
    await expectRefused(g, await sign(ed25519Other.privateKey), 401, 'ERR_AUTH_SIGNATURE_INVALID')
    expect(calls).toHaveLength(0)
  })
})

async function signedAnswer(key: KeyObject, claims: Record<string, unknown> = {}): Promise<string> {
  const payload = { iss: ISSUER, aud: CLIENT_ID, iat: NOW_S, token_introspection: activeAnswer() }
  return new SignJWT({ ...payload, ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'token-introspection+jwt' })
    .sign(key)
}

describe('signed answers (RFC 9701)', () => {
  const SIGNED = 'application/token-introspection+jwt'

  it('accepts one in json mode, verified with the issuer’s key', async () => {
    handler = json(await signedAnswer(ed25519.privateKey), SIGNED)
    await expectPass(gate(), OPAQUE)
  })

  it.each([
    ['another key', () => signedAnswer(ed25519Other.privateKey)],
    ['another audience', () => signedAnswer(ed25519.privateKey, { aud: 'someone-else' })],
    ['another issuer', () => signedAnswer(ed25519.privateKey, { iss: 'https://elsewhere' })],
  ])('answers 503 for one signed by %s', async (_what, make) => {
    handler = json(await make(), SIGNED)
    await expectRefused(gate(), OPAQUE, 503, 'ERR_AUTH_INTROSPECTION_UNAVAILABLE')
  })

  it('answers 503 for a signed answer of another typ', async () => {
    const payload = { iss: ISSUER, aud: CLIENT_ID, iat: NOW_S, token_introspection: activeAnswer() }
    const jwt = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .sign(ed25519.privateKey)
    handler = json(jwt, SIGNED)
    await expectRefused(gate(), OPAQUE, 503, 'ERR_AUTH_INTROSPECTION_UNAVAILABLE')
  })

  it('answers 503 for a plain answer when signed ones are required, and asks for one', async () => {
    await expectRefused(
      gate({ response: 'jwt' }),
      OPAQUE,
      503,
      'ERR_AUTH_INTROSPECTION_UNAVAILABLE',
    )
    handler = (req, _body, res) => {
      expect(req.headers.accept).toBe(SIGNED)
      void signedAnswer(ed25519.privateKey).then((jwt) => json(jwt, SIGNED)(req, '', res))
    }
    await expectPass(gate({ response: 'jwt' }), OPAQUE)
  })
})

describe('the shared cache', () => {
  it('never sees the token: keys are hashes, values the checked answer', async () => {
    const inner = createMemoryIntrospectionCache({ now: () => nowMs })
    const seen: string[] = []
    const cache = {
      get: (key: string) => (seen.push(key), inner.get(key)),
      set: (key: string, value: string, ttl: number) => (
        seen.push(key, value),
        inner.set(key, value, ttl)
      ),
    }
    const a = gate({ cache })
    const b = gate({ cache })
    await expectPass(a, OPAQUE)
    await expectPass(b, OPAQUE)
    expect(calls).toHaveLength(1)
    expect(seen.length).toBeGreaterThan(0)
    for (const text of seen) expect(text).not.toContain(OPAQUE)
  })

  it('asks the endpoint when the cache fails', async () => {
    const cache = {
      get: () => Promise.reject(new Error('cache down')),
      set: () => Promise.reject(new Error('cache down')),
    }
    await expectPass(gate({ cache }), OPAQUE)
    expect(calls).toHaveLength(1)
  })
})
