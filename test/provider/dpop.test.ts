/**
 * Issue 24, points 1, 2 and 5: DPoP (RFC 9449) against real components. oidc-provider on loopback
 * issues DPoP-bound access tokens (`cnf.jkt`) to a client-credentials request whose proof
 * oauth4webapi (an independent client) makes; oauth4webapi's proofs reach the gate over HTTP.
 * Each proof check then fails alone on a proof signed here (jose) with one thing wrong; nonces
 * run on the gate's clock option.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { SignJWT, exportJWK } from 'jose'
import type { JWK } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthConfigError, authenticate, authErrorHandler, requireScopes } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'
import { CLIENT_ID, CLIENT_SECRET, startOidcProvider } from '../helpers/oidc-provider.js'
import type { OidcProvider } from '../helpers/oidc-provider.js'
import { SwitchableReplayStore } from '../helpers/test-replay-store.js'
import { rawRequest } from '../helpers/raw-request.js'
import type { RawReply } from '../helpers/raw-request.js'

/** oauth4webapi's key pair (WebCrypto's type, outside this project's lib setting). */
type KeyPair = Awaited<ReturnType<typeof oauth.generateKeyPair>>

const RESOURCE = 'https://api.example.test/'
const NONCE_SECRET = 'a-nonce-secret-of-at-least-32-bytes-0123456789'
const STEP = 30

/** One app on loopback behind a gate; `runs` counts the protected handler. */
interface App {
  origin: string
  runs: number
  auth: unknown[]
  /** Milliseconds added to the gate's clock. */
  offsetMs: number
  store: SwitchableReplayStore
  server: Server
  send(method: string, path: string, rawHeaders: string[]): Promise<RawReply>
}

async function startApp(
  dpop: Partial<NonNullable<AuthenticateOptions['dpop']>>,
  issuerMode?: 'allowed' | 'required',
): Promise<App> {
  const app = express()
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const state: App = {
    origin,
    runs: 0,
    auth: [],
    offsetMs: 0,
    store: new SwitchableReplayStore(() => (Date.now() + state.offsetMs) / 1000),
    server,
    send: (method, path, rawHeaders) => send(origin, method, path, rawHeaders),
  }
  app.use(
    authenticate({
      issuers: [
        {
          issuer: op.issuer,
          audience: RESOURCE,
          typ: ['at+jwt'],
          key: { discovery: true },
          ...(issuerMode === undefined ? {} : { dpop: issuerMode }),
        },
      ],
      clock: () => new Date(Date.now() + state.offsetMs),
      resource: RESOURCE,
      dpop: { mode: 'allowed', replayStore: state.store, publicOrigin: origin, ...dpop },
    }),
  )
  app.get('/protected', (req, res) => {
    state.runs++
    state.auth.push(req.auth?.binding)
    res.json({ ok: true })
  })
  app.get('/admin', requireScopes('admin'), (_req, res) => {
    state.runs++
    res.json({ ok: true })
  })
  app.use(authErrorHandler())
  return state
}

function send(
  origin: string,
  method: string,
  path: string,
  rawHeaders: string[],
): Promise<RawReply> {
  // A raw header list (to send a header twice) gets no Host from Node: added here.
  return rawRequest(`${origin}${path}`, method, ['Host', new URL(origin).host, ...rawHeaders])
}

let op: OidcProvider
let keys: KeyPair
let publicJwk: JWK
let token: string

const as = (): oauth.AuthorizationServer => ({
  issuer: op.issuer,
  token_endpoint: `${op.issuer}/token`,
})
const client: oauth.Client = { client_id: CLIENT_ID }

/** A DPoP-bound token for `keyPair`, the token request's proof made by oauth4webapi. */
async function boundToken(keyPair: KeyPair): Promise<string> {
  const handle = oauth.DPoP(client, keyPair)
  const options = { DPoP: handle, [oauth.allowInsecureRequests]: true }
  const params = { scope: 'reports:read', resource: RESOURCE }
  const auth = oauth.ClientSecretBasic(CLIENT_SECRET)
  let response = await oauth.clientCredentialsGrantRequest(as(), client, auth, params, options)
  try {
    return (await oauth.processClientCredentialsResponse(as(), client, response)).access_token
  } catch (error) {
    // The provider may ask for its own nonce first (RFC 9449 §8): one retry.
    if (!oauth.isDPoPNonceError(error)) throw error
    response = await oauth.clientCredentialsGrantRequest(as(), client, auth, params, options)
    return (await oauth.processClientCredentialsResponse(as(), client, response)).access_token
  }
}

const ath = (value: string): string => createHash('sha256').update(value).digest('base64url')

interface ProofParts {
  header?: Record<string, unknown>
  payload?: Record<string, unknown>
  signWith?: KeyPair['privateKey'] | Uint8Array
  nowMs?: number
}

/** A proof for GET /protected, valid unless `parts` changes it (`undefined` drops a member). */
async function proof(app: App, parts: ProofParts = {}): Promise<string> {
  const nowMs = parts.nowMs ?? Date.now() + app.offsetMs
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk, ...parts.header }
  const payload = {
    htm: 'GET',
    htu: `${app.origin}/protected`,
    iat: Math.floor(nowMs / 1000),
    jti: randomUUID(),
    ath: ath(token),
    ...parts.payload,
  }
  const drop = (record: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))
  return new SignJWT(drop(payload))
    .setProtectedHeader(drop(header) as { alg: string })
    .sign(parts.signWith ?? keys.privateKey)
}

const dpopHeaders = (proofValue: string, accessToken = token): string[] => [
  'Authorization',
  `DPoP ${accessToken}`,
  'DPoP',
  proofValue,
]

/** Refused with `status`, `code` and a challenge naming the DPoP scheme; the handler never ran. */
async function expectRefused(
  app: App,
  rawHeaders: string[],
  status: number,
  code: string,
  error: string,
): Promise<RawReply> {
  const before = app.runs
  const reply = await app.send('GET', '/protected', rawHeaders)
  expect(app.runs).toBe(before)
  expect([reply.status, reply.body.code]).toEqual([status, code])
  const challenge = String(reply.headers['www-authenticate'])
  expect(challenge).toContain('DPoP realm="api"')
  expect(challenge).toContain('algs="ES256 EdDSA RS256 PS256"')
  expect(challenge).toContain(`error="${error}"`)
  return reply
}

let app: App

beforeAll(async () => {
  op = await startOidcProvider({ resources: [RESOURCE], dpop: true })
  keys = await oauth.generateKeyPair('ES256', { extractable: true })
  publicJwk = await exportJWK(keys.publicKey)
  token = await boundToken(keys)
  app = await startApp({})
})
afterAll(async () => {
  app.server.close()
  await op.close()
})

describe('DPoP with oidc-provider and oauth4webapi', () => {
  it('issues a cnf.jkt-bound token that the gate accepts with oauth4webapi proofs', async () => {
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      cnf?: { jkt?: string }
    }
    const handle = oauth.DPoP(client, keys)
    expect(payload.cnf?.jkt).toBe(await handle.calculateThumbprint())
    const before = app.runs
    for (let i = 0; i < 2; i++) {
      // The second request meets the verified-token cache; its new proof is checked all the same.
      const response = await oauth.protectedResourceRequest(
        token,
        'GET',
        new URL(`${app.origin}/protected`),
        new Headers(),
        null,
        { DPoP: handle, [oauth.allowInsecureRequests]: true },
      )
      expect(response.status).toBe(200)
    }
    expect(app.runs).toBe(before + 2)
    expect(app.auth.at(-1)).toEqual({ method: 'dpop', jkt: payload.cnf?.jkt })
  })

  it('refuses every proof with one check failing, never with a 500', async () => {
    const other = await oauth.generateKeyPair('ES256', { extractable: true })
    const privateJwk = await exportJWK(keys.privateKey)
    const p384 = await oauth.generateKeyPair('ES384')
    const p384Jwk = await exportJWK(p384.publicKey)
    const base = `${app.origin}/protected`
    const nowS = Math.floor(Date.now() / 1000)
    // Each case fails for its own reason: the message names the rule.
    const cases: [string, () => Promise<string>][] = [
      ['typ', () => proof(app, { header: { typ: 'JWT' } })],
      ['typ missing', () => proof(app, { header: { typ: undefined } })],
      ['HS256', () => proof(app, { header: { alg: 'HS256' }, signWith: new Uint8Array(32) })],
      [
        'alg not in the list',
        () => proof(app, { header: { alg: 'ES384', jwk: p384Jwk }, signWith: p384.privateKey }),
      ],
      ['jwk missing', () => proof(app, { header: { jwk: undefined } })],
      ['private jwk', () => proof(app, { header: { jwk: privateJwk } })],
      ['wrong signature', () => proof(app, { signWith: other.privateKey })],
      ['htm', () => proof(app, { payload: { htm: 'POST' } })],
      ['htu other path', () => proof(app, { payload: { htu: `${app.origin}/other` } })],
      ['htu other host', () => proof(app, { payload: { htu: 'http://localhost:1/protected' } })],
      ['htu with query', () => proof(app, { payload: { htu: `${base}?a=1` } })],
      ['iat old', () => proof(app, { payload: { iat: nowS - 120 } })],
      ['iat future', () => proof(app, { payload: { iat: nowS + 120 } })],
      ['iat missing', () => proof(app, { payload: { iat: undefined } })],
      ['jti missing', () => proof(app, { payload: { jti: undefined } })],
      ['ath wrong', () => proof(app, { payload: { ath: ath(`${token}x`) } })],
      ['ath missing', () => proof(app, { payload: { ath: undefined } })],
    ]
    const reasons: Record<string, string> = {
      typ: "'typ' must be dpop+jwt",
      'typ missing': "'typ' must be dpop+jwt",
      HS256: 'algorithm not accepted',
      'alg not in the list': 'algorithm not accepted',
      'jwk missing': "has no 'jwk'",
      'private jwk': 'must be a public key',
      'wrong signature': 'invalid DPoP proof signature',
      htm: "'htm'",
      'htu other path': "'htu'",
      'htu other host': "'htu'",
      'htu with query': "'htu'",
      'iat old': 'outside the accepted window',
      'iat future': 'outside the accepted window',
      'iat missing': "'iat' missing",
      'jti missing': "'jti' missing",
      'ath wrong': "'ath'",
      'ath missing': "'ath'",
    }
    const before = app.runs
    for (const [name, make] of cases) {
      const reply = await app.send('GET', '/protected', dpopHeaders(await make()))
      expect([name, reply.status, reply.body.code]).toEqual([
        name,
        401,
        'ERR_AUTH_DPOP_PROOF_INVALID',
      ])
      expect(reply.body.detail, name).toContain(reasons[name])
    }
    expect(app.runs).toBe(before)
    const none = `${Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'none', jwk: publicJwk })).toString('base64url')}.${Buffer.from(JSON.stringify({ htm: 'GET', htu: base, iat: nowS, jti: randomUUID(), ath: ath(token) })).toString('base64url')}.`
    await expectRefused(
      app,
      dpopHeaders(none),
      401,
      'ERR_AUTH_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    )
    await expectRefused(
      app,
      dpopHeaders('x'.repeat(10_000)),
      401,
      'ERR_AUTH_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    )
  })

  it('refuses a replayed proof, a proof by another key, and a bound token sent as Bearer', async () => {
    const once = await proof(app)
    expect((await app.send('GET', '/protected', dpopHeaders(once))).status).toBe(200)
    await expectRefused(app, dpopHeaders(once), 401, 'ERR_AUTH_DPOP_REPLAYED', 'invalid_dpop_proof')

    const other = await oauth.generateKeyPair('ES256', { extractable: true })
    const otherProof = await proof(app, {
      header: { jwk: await exportJWK(other.publicKey) },
      signWith: other.privateKey,
    })
    await expectRefused(
      app,
      dpopHeaders(otherProof),
      401,
      'ERR_AUTH_DPOP_BINDING_MISMATCH',
      'invalid_token',
    )

    const bearer = ['Authorization', `Bearer ${token}`]
    const reply = await expectRefused(app, bearer, 401, 'ERR_AUTH_DPOP_REQUIRED', 'invalid_token')
    // Mode allowed: both schemes are offered, the error goes to the Bearer one.
    expect(String(reply.headers['www-authenticate'])).toMatch(
      /^Bearer realm="api".*error="invalid_token".*, DPoP realm="api"/,
    )
  })

  it("gives a guard's 403 on a DPoP request the DPoP challenge", async () => {
    const admin = await proof(app, { payload: { htu: `${app.origin}/admin` } })
    const before = app.runs
    const reply = await app.send('GET', '/admin', dpopHeaders(admin))
    expect([reply.status, reply.body.code, app.runs]).toEqual([
      403,
      'ERR_AUTH_SCOPE_INSUFFICIENT',
      before,
    ])
    const [bearer, dpop] = String(reply.headers['www-authenticate']).split(', DPoP ')
    expect(bearer).toMatch(/^Bearer realm="api", /)
    expect(bearer).not.toContain('error=')
    expect(dpop).toMatch(
      /^realm="api", .*error="insufficient_scope", .*scope="admin", algs="ES256 EdDSA RS256 PS256"$/,
    )
  })

  it('refuses two DPoP header lines and a DPoP scheme without a proof', async () => {
    const [a, b] = [await proof(app), await proof(app)]
    const two = ['Authorization', `DPoP ${token}`, 'DPoP', a, 'DPoP', b]
    const twice = await expectRefused(
      app,
      two,
      401,
      'ERR_AUTH_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    )
    // Node joins the two lines into one value, which would fail as malformed: the raw list counts.
    expect(twice.body.detail).toBe('more than one DPoP header')
    const none = ['Authorization', `DPoP ${token}`]
    await expectRefused(app, none, 401, 'ERR_AUTH_DPOP_PROOF_INVALID', 'invalid_dpop_proof')
  })

  it('puts the error of a malformed DPoP Authorization header on the DPoP challenge', async () => {
    const reply = await expectRefused(
      app,
      ['Authorization', 'DPoP not a token!', 'DPoP', await proof(app)],
      400,
      'ERR_AUTH_HEADER_MALFORMED',
      'invalid_request',
    )
    const [bearer] = String(reply.headers['www-authenticate']).split(', DPoP ')
    expect(bearer).toMatch(/^Bearer realm="api"/)
    expect(bearer).not.toContain('error=')
  })

  it('answers 503 when the replay store is down, never a pass', async () => {
    app.store.down = true
    try {
      const before = app.runs
      const reply = await app.send('GET', '/protected', dpopHeaders(await proof(app)))
      expect([reply.status, reply.body.code, app.runs]).toEqual([
        503,
        'ERR_AUTH_STORE_UNAVAILABLE',
        before,
      ])
    } finally {
      app.store.down = false
    }
  })
})

describe('DPoP modes, nonces and metadata', () => {
  it('allowed mode accepts an unbound Bearer token; required mode refuses it', async () => {
    const unbound = await op.token({ resource: RESOURCE })
    const bearer = ['Authorization', `Bearer ${unbound}`]
    const before = app.runs
    expect((await app.send('GET', '/protected', bearer)).status).toBe(200)
    expect([app.runs, app.auth.at(-1)]).toEqual([before + 1, undefined])
    const strict = await startApp({ mode: 'required' })
    try {
      const reply = await strict.send('GET', '/protected', bearer)
      expect([reply.status, reply.body.code, strict.runs]).toEqual([
        401,
        'ERR_AUTH_DPOP_REQUIRED',
        0,
      ])
      expect(String(reply.headers['www-authenticate'])).toMatch(/^DPoP realm="api"/)
      // An issuer's own mode overrides the gate's.
      const perIssuer = await startApp({ mode: 'allowed' }, 'required')
      const refused = await perIssuer.send('GET', '/protected', bearer)
      perIssuer.server.close()
      expect([refused.status, refused.body.code, perIssuer.runs]).toEqual([
        401,
        'ERR_AUTH_DPOP_REQUIRED',
        0,
      ])
      const metadata = await strict.send('GET', '/.well-known/oauth-protected-resource', [])
      expect(metadata.body).toMatchObject({
        dpop_bound_access_tokens_required: true,
        dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'RS256', 'PS256'],
      })
    } finally {
      strict.server.close()
    }
  })

  it('asks for a nonce, accepts it, renews it after a step, and refuses one two steps old', async () => {
    const noncy = await startApp({ nonce: { secret: NONCE_SECRET, step: STEP } })
    try {
      const first = await noncy.send('GET', '/protected', dpopHeaders(await proof(noncy)))
      expect([first.status, first.body.code, noncy.runs]).toEqual([
        401,
        'ERR_AUTH_DPOP_NONCE_REQUIRED',
        0,
      ])
      expect(String(first.headers['www-authenticate'])).toContain('error="use_dpop_nonce"')
      const nonce = String(first.headers['dpop-nonce'])
      expect(nonce).toMatch(/^[\w-]{20,}$/)

      const retry = await noncy.send(
        'GET',
        '/protected',
        dpopHeaders(await proof(noncy, { payload: { nonce } })),
      )
      expect([retry.status, noncy.runs]).toEqual([200, 1])
      expect(retry.headers['dpop-nonce']).toBeUndefined()

      noncy.offsetMs = STEP * 1000
      const later = await noncy.send(
        'GET',
        '/protected',
        dpopHeaders(await proof(noncy, { payload: { nonce } })),
      )
      expect([later.status, noncy.runs]).toEqual([200, 2])
      expect(later.headers['dpop-nonce']).toMatch(/^[\w-]{20,}$/)
      expect(later.headers['dpop-nonce']).not.toBe(nonce)

      noncy.offsetMs = 2 * STEP * 1000
      const stale = await noncy.send(
        'GET',
        '/protected',
        dpopHeaders(await proof(noncy, { payload: { nonce } })),
      )
      expect([stale.status, stale.body.code, noncy.runs]).toEqual([
        401,
        'ERR_AUTH_DPOP_NONCE_REQUIRED',
        2,
      ])
      expect(stale.headers['dpop-nonce']).not.toBe(nonce)

      const forged = await noncy.send(
        'GET',
        '/protected',
        dpopHeaders(await proof(noncy, { payload: { nonce: `${nonce.slice(0, -2)}AA` } })),
      )
      expect([forged.status, forged.body.code]).toEqual([401, 'ERR_AUTH_DPOP_NONCE_REQUIRED'])
    } finally {
      noncy.server.close()
    }
  })

  it('refuses a bad dpop option at start-up, naming it', () => {
    const base = { issuers: [{ issuer: 'https://op.example', key: { jwk: publicJwk } }] }
    const store = new SwitchableReplayStore()
    const attempts: [string, unknown][] = [
      ['dpop.replayStore', { mode: 'allowed', publicOrigin: 'https://api.example' }],
      [
        'dpop.publicOrigin',
        { mode: 'allowed', replayStore: store, publicOrigin: 'https://api.example/v1' },
      ],
      [
        'dpop.publicOrigin',
        { mode: 'allowed', replayStore: store, publicOrigin: 'http://api.example' },
      ],
      [
        'dpop.algorithms',
        {
          mode: 'allowed',
          replayStore: store,
          publicOrigin: 'https://api.example',
          algorithms: ['HS256'],
        },
      ],
      [
        'dpop.nonce.secret',
        {
          mode: 'allowed',
          replayStore: store,
          publicOrigin: 'https://api.example',
          nonce: { secret: 'short' },
        },
      ],
    ]
    const orphan = { issuers: [{ ...base.issuers[0]!, dpop: 'required' }] } as AuthenticateOptions
    expect(() => authenticate(orphan)).toThrow('invalid option "issuers[0].dpop"')
    for (const [option, dpop] of attempts) {
      expect(() => authenticate({ ...base, dpop } as AuthenticateOptions)).toThrow(AuthConfigError)
      try {
        authenticate({ ...base, dpop } as AuthenticateOptions)
      } catch (error) {
        expect((error as AuthConfigError).option).toBe(option)
      }
    }
  })
})
