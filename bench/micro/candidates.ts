/**
 * The named candidates of the micro harnesses (count.ts: instructions under callgrind;
 * alternate.ts: CPU time, alternating), and of verify.bench.ts where they overlap. Each is built
 * from one algorithm's keys and signs its own token; everything listens on 127.0.0.1.
 *
 * - Full verification: `gate` (`createAuthenticator({ cache: false })`: also the bearer request
 *   with a fresh token DPoP is compared with), `fast-jwt` (no cache), `raw` (`node:crypto` alone),
 *   `jose` (`jwtVerify`), `jsonwebtoken`.
 * - Cached requests (token held): `gate-cached` (static key), `gate-cached-jwks` (`jwksUrl` on a
 *   loopback JWKS), `gate-cached-discovery-resource` (`discovery: true` plus `resource`).
 * - DPoP: `dpop` (token cache on), `dpop-nocache`; a fresh proof per call, made by `prepare`.
 * - Introspection: `gate-introspected`, an opaque token whose answer (from a loopback endpoint) the
 *   gate holds: the cost of a held answer, beside `gate-cached`.
 *
 * To add one: a factory below that builds it and returns `repeat(call, close)` (or a `prepare`
 * that makes what each call consumes). Run `npm run build` first: jwt-gate comes from `dist/`.
 */
import { createHmac, createPublicKey, createSecretKey, timingSafeEqual, verify } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { createVerifier } from 'fast-jwt'
import type * as IndexModule from '../../src/index.js'
import type { AuthenticateOptions, KeySource } from '../../src/index.js'
import type * as MemoryModule from '../../src/stores/memory.js'
import { built } from '../built.js'
import { createDpopClient, dpopHeaders, makeProofs } from '../dpop.js'
import { AUDIENCE, ISSUER, createKeys, gateKey, importJoseKey, signToken } from '../fixture.js'
import type { BenchAlgorithm } from '../fixture.js'

/** One algorithm's keys and a token of the bench's claims: what a candidate is built from. */
export type Setup = Awaited<ReturnType<typeof createSetup>>

/** The setup of `alg`: fresh keys, or those kept in `dir` (see `createKeys`). */
export async function createSetup(alg: BenchAlgorithm, dir?: string) {
  const keys = createKeys(alg, dir)
  return { alg, ...keys, token: await signToken(keys.signer, alg) }
}

export interface Candidate {
  /** Makes what `count` calls consume (outside any measurement) and returns the call. */
  prepare(count: number): () => unknown
  close(): Promise<void>
}

const repeat = (call: () => unknown, close = () => Promise.resolve()): Candidate => ({
  prepare: () => call,
  close,
})
const { createAuthenticator } = await built<typeof IndexModule>('index.js')
type Gate = ReturnType<typeof createAuthenticator>
/** The resource of the discovery candidate: an https URL nothing dials (the gate never does). */
const RESOURCE = 'https://api.bench.invalid/mcp'
const ORIGIN = 'http://127.0.0.1:8080'
const KID = 'bench-1'

/** A gate on a static key (and the default issuer and audience) with `extra` options. */
function staticGate({ alg, material }: Setup, extra: Partial<AuthenticateOptions> = {}) {
  const key = gateKey(alg, material)
  const issuer = { issuer: ISSUER, audience: AUDIENCE, key, algorithms: [alg] }
  return createAuthenticator({ issuers: [issuer], ...extra })
}

/** Each call sends `token` as a bearer token to `gate`; closing it also closes `server`. */
function bearerCalls(gate: Gate, token: string, server?: Server): Candidate {
  const request = { headers: { authorization: `Bearer ${token}` } }
  return repeat(
    () => gate.authenticate(request),
    async () => {
      await gate.close()
      server?.close()
    },
  )
}

/** A loopback server answering `body(path)` as JSON (404 when undefined), and its origin. */
async function serveJson(body: (path: string, origin: string) => unknown) {
  let origin = ''
  const server = createServer((req, res) => {
    req.resume()
    const json = body(req.url ?? '', origin)
    // An hour of freshness: the gate fetches once, no refresh falls inside a measured loop.
    const headers = { 'content-type': 'application/json', 'cache-control': 'max-age=3600' }
    if (json === undefined) res.writeHead(404).end()
    else res.writeHead(200, headers).end(JSON.stringify(json))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { server, origin }
}

/** The signature check alone, the key imported once: no header, no claims. */
function raw({ alg, material, token }: Setup): () => boolean {
  if (alg === 'HS256') {
    const secret = Buffer.from(material.secret!, 'utf8')
    return () => {
      const dot = token.lastIndexOf('.')
      const mac = createHmac('sha256', secret).update(token.slice(0, dot)).digest()
      const signature = Buffer.from(token.slice(dot + 1), 'base64url')
      return signature.length === mac.length && timingSafeEqual(signature, mac)
    }
  }
  const key = createPublicKey(material.pem!)
  const keyInput = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key
  const hash = alg === 'EdDSA' ? null : 'sha256'
  return () => {
    const dot = token.lastIndexOf('.')
    const signature = Buffer.from(token.slice(dot + 1), 'base64url')
    return verify(hash, Buffer.from(token.slice(0, dot)), keyInput, signature)
  }
}

/**
 * A gate whose issuer is a loopback discovery document and JWKS served by this process, cacheable
 * for an hour; `discovery` also sets `resource` (the token's `aud`).
 */
async function remoteGate(setup: Setup, discovery: boolean): Promise<Candidate> {
  if (setup.alg === 'HS256') throw new Error('remote keys: an asymmetric algorithm')
  const { alg, signer, material } = setup
  const jwk = { ...(await exportJWK(createPublicKey(material.pem!))), kid: KID, alg, use: 'sig' }
  const { server, origin: url } = await serveJson(
    (path, origin) =>
      ({
        '/.well-known/openid-configuration': { issuer: origin, jwks_uri: `${origin}/jwks` },
        '/jwks': { keys: [jwk] },
      })[path],
  )
  // No refresh inside a measured loop; a minute to fetch, since under valgrind the first fetch
  // can take longer than the default 5 s.
  const fetching = { cacheMaxAge: 3_600_000, cacheMinAge: 3_600_000, timeout: 60_000 }
  const key: KeySource = discovery
    ? { discovery: true, ...fetching }
    : { jwksUrl: `${url}/jwks`, ...fetching }
  const aud = discovery ? RESOURCE : AUDIENCE
  const gate = createAuthenticator({
    issuers: [{ issuer: url, key, algorithms: [alg], ...(discovery ? {} : { audience: aud }) }],
    ...(discovery ? { resource: RESOURCE } : {}),
  })
  return bearerCalls(gate, await signToken(signer, alg, { iss: url, aud }, { kid: KID }), server)
}

/** DPoP required (memory replay store); each call sends the bound token with a fresh proof. */
async function dpopGate(setup: Setup, cache: boolean): Promise<Candidate> {
  const { createMemoryReplayStore } = await built<typeof MemoryModule>('stores/memory.js')
  const replayStore = createMemoryReplayStore({ max: 1_000_000 })
  const gate = staticGate(setup, {
    ...(cache ? {} : { cache: false }),
    dpop: { mode: 'required', replayStore, publicOrigin: ORIGIN },
  })
  const client = await createDpopClient(setup.signer, setup.alg)
  const prepare = (count: number) => {
    const proofs = makeProofs(client, `${ORIGIN}/`, count, 60_000)
    if (proofs.length < count) throw new Error('proofs: not enough made in time')
    const requests = proofs.map((proof) => ({
      method: 'GET',
      originalUrl: '/',
      headers: dpopHeaders(client, proof),
    }))
    let next = 0
    return () => gate.authenticate(requests[next++]!)
  }
  const auth = await prepare(1)()
  if (auth?.binding?.method !== 'dpop') throw new Error('dpop: the request is not DPoP-bound')
  return { prepare, close: () => gate.close() }
}

/** An opaque token, introspected once at a loopback endpoint; each call finds the held answer. */
async function introspectedGate(setup: Setup): Promise<Candidate> {
  const exp = Math.floor(Date.now() / 1000) + 3600
  const answer = { active: true, iss: ISSUER, sub: 'bench', aud: AUDIENCE, exp, scope: 'read' }
  const { server, origin } = await serveJson(() => answer)
  const [endpoint, clientSecret] = [`${origin}/introspect`, 'bench-introspection-secret-0123456789']
  const introspection = { endpoint, clientId: 'bench', clientSecret, cacheTtl: 3600 }
  const issuer = { issuer: ISSUER, audience: AUDIENCE, key: gateKey(setup.alg, setup.material) }
  const gate = createAuthenticator({ issuers: [{ ...issuer, introspection }] })
  const candidate = bearerCalls(gate, '2YotnFZFEjr1zCsicMWpAA-opaque-bench', server)
  const auth = (await candidate.prepare(1)()) as Awaited<ReturnType<Gate['authenticate']>>
  if (auth?.verifiedBy !== 'introspection')
    throw new Error('gate-introspected: the token was not introspected')
  return candidate
}

/** The candidates by name. */
export const CANDIDATES: Record<string, (setup: Setup) => Promise<Candidate>> = {
  gate: async (setup) => bearerCalls(staticGate(setup, { cache: false }), setup.token),
  'fast-jwt': async ({ alg, material, token }) => {
    const key = material.secret ?? material.pem!
    const pinned = { algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE }
    const verifier = createVerifier({ key, ...pinned, cache: false })
    return repeat(() => verifier(token))
  },
  raw: async (setup) => repeat(raw(setup)),
  jose: async ({ alg, material, token }) => {
    const key = await importJoseKey(alg, material)
    const pinned = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE }
    return repeat(() => jwtVerify(token, key, pinned))
  },
  // What express-jwt and passport-jwt run; it has no EdDSA.
  jsonwebtoken: async ({ alg, material, token }) => {
    if (alg === 'EdDSA') throw new Error('jsonwebtoken cannot verify EdDSA')
    const secret = alg === 'HS256' ? Buffer.from(material.secret!, 'utf8') : undefined
    const key = secret ? createSecretKey(secret) : createPublicKey(material.pem!)
    const pinned = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE }
    return repeat(() => jsonwebtoken.verify(token, key, pinned))
  },
  'gate-cached': async (setup) => bearerCalls(staticGate(setup), setup.token),
  'gate-cached-jwks': (setup) => remoteGate(setup, false),
  'gate-cached-discovery-resource': (setup) => remoteGate(setup, true),
  dpop: (setup) => dpopGate(setup, true),
  'dpop-nocache': (setup) => dpopGate(setup, false),
  'gate-introspected': introspectedGate,
}

/** Builds the named candidate, or fails naming the known ones. */
export function candidate(name: string, setup: Setup): Promise<Candidate> {
  const factory = CANDIDATES[name]
  if (factory === undefined) throw new Error(`candidate: ${Object.keys(CANDIDATES).join(', ')}`)
  return factory(setup)
}
