/**
 * Sender-constrained opaque tokens: an introspection answer carrying `cnf` binds the token as a
 * JWT's `cnf` does. `cnf.jkt` (RFC 9449 §6.2): the token is refused with the Bearer scheme and
 * accepted only with a DPoP proof whose key has that thumbprint. `cnf["x5t#S256"]` (RFC 8705 §3.2):
 * only with that client certificate (forwarded here by a trusted proxy on loopback). A held answer
 * binds as the first did. The endpoint is a hand-written one on loopback; proofs are made with jose.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import request from 'supertest'
import type { Response } from 'supertest'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import type { CryptoKey, JWK } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { authenticate, authErrorHandler } from '../../src/index.js'
import type { AuthenticateOptions, AuthErrorCode } from '../../src/index.js'
import { createMemoryReplayStore } from '../../src/stores/memory.js'
import { ed25519 } from '../helpers/keys.js'
import { ISSUER, NOW, NOW_S } from '../helpers/tokens.js'
import { createTestPki } from '../helpers/tls.js'
import type { TestPki } from '../helpers/tls.js'

const ORIGIN = 'https://api.example.test'
const HEADER = 'x-client-cert'

let server: Server
let endpoint: string
/** What the endpoint answers about any token, active with this `cnf`. */
let cnf: Record<string, unknown> | undefined
let calls: number
let pki: TestPki
let holder: { privateKey: CryptoKey; jwk: JWK; jkt: string }
let stranger: { privateKey: CryptoKey; jwk: JWK; jkt: string }

async function dpopKey(): Promise<typeof holder> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) }
}

beforeAll(async () => {
  pki = createTestPki(['client-a', 'client-b'])
  ;[holder, stranger] = [await dpopKey(), await dpopKey()]
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      calls++
      const answer = { active: true, sub: 'alice', exp: NOW_S + 600, iat: NOW_S, cnf }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(answer))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  pki.remove()
})
beforeEach(() => {
  calls = 0
  cnf = undefined
})

/** A gate whose issuer introspects opaque tokens at the hand endpoint; the handler counts runs. */
function gate(extra: Partial<AuthenticateOptions> = {}) {
  const clock = (): Date => NOW
  const app = express()
  let runs = 0
  app.use(
    authenticate({
      clock,
      issuers: [
        {
          issuer: ISSUER,
          audience: false,
          key: { pem: ed25519.publicPem },
          introspection: { endpoint, clientId: 'api', clientSecret: 'api-client-secret' },
        },
      ],
      ...extra,
    }),
  )
  app.get('/protected', (req, res) => {
    runs++
    res.json({ binding: req.auth?.binding ?? null })
  })
  app.use(authErrorHandler({ logger: false }))
  return { app, ran: () => runs }
}

type Gate = ReturnType<typeof gate>

const dpopGate = (): Gate =>
  gate({
    dpop: { mode: 'allowed', replayStore: createMemoryReplayStore(), publicOrigin: ORIGIN },
  })

/** A proof for GET /protected with `token`, signed by `key`. */
function proof(key: typeof holder, token: string): Promise<string> {
  const ath = createHash('sha256').update(token).digest('base64url')
  return new SignJWT({ htm: 'GET', htu: `${ORIGIN}/protected`, iat: NOW_S, jti: randomUUID(), ath })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .sign(key.privateKey)
}

async function withDpop(g: Gate, token: string, key: typeof holder): Promise<Response> {
  return request(g.app)
    .get('/protected')
    .set('Authorization', `DPoP ${token}`)
    .set('DPoP', await proof(key, token))
}

function withBearer(g: Gate, token: string, certificate?: string): Promise<Response> {
  const req = request(g.app).get('/protected').set('Authorization', `Bearer ${token}`)
  return certificate === undefined ? req : req.set(HEADER, certificate)
}

async function expectRefused(
  g: Gate,
  send: () => Promise<Response>,
  code: AuthErrorCode,
): Promise<Response> {
  const before = g.ran()
  const res = await send()
  expect(res.status, JSON.stringify(res.body)).toBe(401)
  expect((res.body as { code: string }).code).toBe(code)
  expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/)
  expect(g.ran()).toBe(before)
  return res
}

describe('an introspected token bound to a DPoP key (cnf.jkt)', () => {
  it('is refused as a Bearer token, before and after its answer is held', async () => {
    cnf = { jkt: holder.jkt }
    const g = dpopGate()
    const token = `opaque-${randomUUID()}`
    const res = await expectRefused(g, () => withBearer(g, token), 'ERR_AUTH_DPOP_REQUIRED')
    expect(res.headers['www-authenticate']).toMatch(/, DPoP realm=/)
    const passed = await withDpop(g, token, holder)
    expect(passed.status, JSON.stringify(passed.body)).toBe(200)
    await expectRefused(g, () => withBearer(g, token), 'ERR_AUTH_DPOP_REQUIRED')
    expect(calls).toBe(1)
  })

  it('passes with a proof of that key, on every request (a fresh proof each time)', async () => {
    cnf = { jkt: holder.jkt }
    const g = dpopGate()
    const token = `opaque-${randomUUID()}`
    for (let i = 0; i < 2; i++) {
      const res = await withDpop(g, token, holder)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(res.body).toEqual({ binding: { method: 'dpop', jkt: holder.jkt } })
    }
    expect(g.ran()).toBe(2)
    expect(calls).toBe(1)
  })

  it("is refused with a proof of another key, and so is an unbound token's proof", async () => {
    cnf = { jkt: holder.jkt }
    const g = dpopGate()
    const token = `opaque-${randomUUID()}`
    const res = await expectRefused(
      g,
      () => withDpop(g, token, stranger),
      'ERR_AUTH_DPOP_BINDING_MISMATCH',
    )
    expect(res.headers['www-authenticate']).toContain('does not match the token binding')
    cnf = undefined
    const unbound = `opaque-${randomUUID()}`
    await expectRefused(g, () => withDpop(g, unbound, holder), 'ERR_AUTH_DPOP_BINDING_MISMATCH')
  })
})

describe('an introspected token bound to a client certificate (cnf["x5t#S256"])', () => {
  const viaProxy = (): Gate =>
    gate({ mtls: { proxyHeader: HEADER, trustedProxies: ['127.0.0.0/8', '::1'] } })

  it('passes with that certificate, on every request', async () => {
    const a = pki.clients['client-a']!
    cnf = { 'x5t#S256': a.thumbprint }
    const g = viaProxy()
    const token = `opaque-${randomUUID()}`
    for (let i = 0; i < 2; i++) {
      const res = await withBearer(g, token, a.derBase64)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(res.body).toEqual({ binding: { method: 'mtls', x5t: a.thumbprint } })
    }
    expect(calls).toBe(1)
  })

  it('is refused without a certificate or with another one, answer held or not', async () => {
    cnf = { 'x5t#S256': pki.clients['client-a']!.thumbprint }
    const g = viaProxy()
    const token = `opaque-${randomUUID()}`
    const other = pki.clients['client-b']!.derBase64
    await expectRefused(g, () => withBearer(g, token), 'ERR_AUTH_CERTIFICATE_MISMATCH')
    await expectRefused(g, () => withBearer(g, token, other), 'ERR_AUTH_CERTIFICATE_MISMATCH')
    expect(calls).toBe(1)
  })

  it('is refused without the mtls option too: no connection certificate', async () => {
    cnf = { 'x5t#S256': pki.clients['client-a']!.thumbprint }
    const g = gate()
    const token = `opaque-${randomUUID()}`
    await expectRefused(g, () => withBearer(g, token), 'ERR_AUTH_CERTIFICATE_MISMATCH')
  })
})
