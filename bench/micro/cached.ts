/**
 * The cost of a cached request: jwt-gate's `createAuthenticator(…).authenticate(req)`, verified-token
 * cache on (the default), on a token it already holds, configured three ways (same algorithm, same
 * claims):
 *
 * - `gate-cached`: a static key, as `bench/servers/jwt-gate.ts`;
 * - `gate-cached-jwks`: `key: { jwksUrl }` on a loopback JWKS endpoint (a remote key set alone);
 * - `gate-cached-discovery-resource`: `key: { discovery: true }` against a loopback discovery
 *   document and JWKS served by this process, plus `resource` (the token's `aud` is the resource).
 *
 * Instructions (callgrind; the difference of the two totals over N is one cached request):
 *
 *   dir=$(mktemp -d)
 *   valgrind --tool=callgrind --callgrind-out-file=$dir/a node --import tsx \
 *     bench/micro/cached.ts ES256 gate-cached 2000 0 $dir
 *   valgrind --tool=callgrind --callgrind-out-file=$dir/b node --import tsx \
 *     bench/micro/cached.ts ES256 gate-cached 2000 5000 $dir
 *
 * The key pair is kept in `$dir` (mode 0600) so that both runs count the same work. CPU time, the
 * candidates alternating in one process, `rounds` rounds of `n` calls, medians:
 *
 *   node --import tsx bench/micro/cached.ts ES256 compare 20000 8
 *
 * Everything listens on 127.0.0.1; every loop is bounded in count. Run `npm run build` first.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT, exportJWK } from 'jose'
import type * as IndexModule from '../../src/index.js'
import type { AuthenticateOptions, Authenticator } from '../../src/index.js'
import { built } from '../built.js'
import { ALGORITHMS, AUDIENCE, ISSUER } from '../fixture.js'
import type { BenchAlgorithm } from '../fixture.js'

const CANDIDATES = ['gate-cached', 'gate-cached-jwks', 'gate-cached-discovery-resource'] as const
type Candidate = (typeof CANDIDATES)[number]
/** The resource of the discovery candidate: an https URL nothing dials (the gate never does). */
const RESOURCE = 'https://api.bench.invalid/mcp'
const KID = 'bench-1'

/** A key pair (or HMAC secret) of `alg`, kept in `dir` when given so repeated runs share it. */
function signingKey(alg: BenchAlgorithm, dir: string | undefined): KeyObject | Uint8Array {
  const file = dir === undefined ? undefined : join(dir, `cached-${alg}.key`)
  if (file !== undefined && existsSync(file)) {
    const text = readFileSync(file, 'utf8')
    return alg === 'HS256' ? Buffer.from(text, 'base64url') : createPrivateKey(text)
  }
  let key: KeyObject | Uint8Array
  if (alg === 'HS256') key = randomBytes(32)
  else if (alg === 'EdDSA') key = generateKeyPairSync('ed25519').privateKey
  else if (alg === 'ES256') key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  else key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  if (file !== undefined) {
    const text =
      key instanceof Uint8Array
        ? Buffer.from(key).toString('base64url')
        : key.export({ type: 'pkcs8', format: 'pem' }).toString()
    writeFileSync(file, text, { mode: 0o600 })
  }
  return key
}

/** The token every candidate sees: the micro-benchmark's claims, with its own `iss` and `aud`. */
function sign(alg: BenchAlgorithm, key: KeyObject | Uint8Array, iss: string, aud: string) {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ roles: ['user'], scope: 'read write' })
    .setProtectedHeader({ alg, typ: 'JWT', kid: KID })
    .setIssuer(iss)
    .setAudience(aud)
    .setSubject('user-0')
    .setJti(`${alg}-0-cached`)
    .setIssuedAt(now)
    .setExpirationTime(now + 30 * 86_400)
    .sign(key)
}

/** A loopback issuer: its discovery document and its JWKS, cacheable for an hour. */
async function startIssuer(publicJwk: object): Promise<{ url: string; server: Server }> {
  let url = ''
  const server = createServer((req, res) => {
    const body =
      req.url === '/.well-known/openid-configuration'
        ? { issuer: url, jwks_uri: `${url}/jwks` }
        : req.url === '/jwks'
          ? { keys: [publicJwk] }
          : undefined
    if (body === undefined) {
      res.writeHead(404).end()
      return
    }
    const headers = { 'content-type': 'application/json', 'cache-control': 'max-age=3600' }
    res.writeHead(200, headers).end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  url = `http://127.0.0.1:${address.port}`
  return { url, server }
}

/** One candidate: its authenticator and the request it is called with. */
interface Built {
  gate: Authenticator
  call: () => Promise<unknown>
}

async function buildCandidate(
  name: Candidate,
  alg: BenchAlgorithm,
  key: KeyObject | Uint8Array,
  issuerUrl: string,
): Promise<Built> {
  const { createAuthenticator } = await built<typeof IndexModule>('index.js')
  // An hour of freshness: no refresh (background or not) falls inside a counted loop; a minute to
  // fetch, since under valgrind the first fetch can take longer than the default 5 s.
  const fetchOptions = { cacheMaxAge: 3_600_000, cacheMinAge: 3_600_000, timeout: 60_000 }
  let options: AuthenticateOptions
  let token: string
  if (name === 'gate-cached') {
    const staticKey =
      key instanceof Uint8Array
        ? { secret: key }
        : { pem: createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString() }
    options = {
      issuers: [{ issuer: ISSUER, audience: AUDIENCE, key: staticKey, algorithms: [alg] }],
    }
    token = await sign(alg, key, ISSUER, AUDIENCE)
  } else if (name === 'gate-cached-jwks') {
    const remote = { jwksUrl: `${issuerUrl}/jwks`, ...fetchOptions }
    options = {
      issuers: [{ issuer: issuerUrl, audience: AUDIENCE, key: remote, algorithms: [alg] }],
    }
    token = await sign(alg, key, issuerUrl, AUDIENCE)
  } else {
    const discovery = { discovery: true as const, ...fetchOptions }
    options = {
      issuers: [{ issuer: issuerUrl, key: discovery, algorithms: [alg] }],
      resource: RESOURCE,
    }
    token = await sign(alg, key, issuerUrl, RESOURCE)
  }
  const gate = createAuthenticator(options)
  const request = { headers: { authorization: `Bearer ${token}` } }
  return { gate, call: () => gate.authenticate(request) }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!

/** Calls `call` `count` times; fails on a refused token (a wrong setup would measure a 401). */
async function loop(name: string, call: () => Promise<unknown>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    if ((await call()) === undefined) throw new Error(`${name} refuses its token`)
  }
}

/** The candidates alternating, timed by CPU time: the median µs per cached call of each. */
async function compare(candidates: Map<Candidate, Built>, n: number, rounds: number) {
  const samples = new Map<Candidate, number[]>([...candidates.keys()].map((c) => [c, []]))
  for (let round = 0; round < rounds; round++) {
    const names = [...candidates.keys()]
    const shift = round % names.length
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
      const before = process.cpuUsage()
      await loop(name, candidates.get(name)!.call, n)
      const used = process.cpuUsage(before)
      samples.get(name)!.push((used.user + used.system) / n)
    }
  }
  const base = median(samples.get('gate-cached')!)
  for (const [name, values] of samples) {
    const us = median(values)
    const range = `${Math.min(...values).toFixed(3)}-${Math.max(...values).toFixed(3)}`
    const ratio = ((100 * us) / base).toFixed(1)
    console.log(`${alg} ${name}: ${us.toFixed(3)} µs CPU per call [${range}], ${ratio} %`)
  }
}

const [alg, name = 'gate-cached', first = '2000', second = '0', dir] = process.argv.slice(2) as [
  BenchAlgorithm,
  string?,
  string?,
  string?,
  string?,
]
if (!ALGORITHMS.includes(alg)) throw new Error(`algorithm: ${ALGORITHMS.join(', ')}`)
if (name !== 'compare' && !(CANDIDATES as readonly string[]).includes(name)) {
  throw new Error(`candidate: compare, ${CANDIDATES.join(', ')}`)
}
const remoteKeys = alg !== 'HS256'
const key = signingKey(alg, dir)
const jwk = remoteKeys
  ? { ...(await exportJWK(createPublicKey(key as KeyObject))), kid: KID, alg, use: 'sig' }
  : undefined
const issuer = remoteKeys ? await startIssuer(jwk!) : undefined
const names: Candidate[] =
  name === 'compare' ? (remoteKeys ? [...CANDIDATES] : ['gate-cached']) : [name as Candidate]
const candidates = new Map<Candidate, Built>()
for (const c of names) candidates.set(c, await buildCandidate(c, alg, key, issuer?.url ?? ''))
try {
  if (name === 'compare') {
    // Warm-up: the first calls fetch the keys and fill the cache (a token is admitted on its second
    // verification), then the compiler settles.
    for (const [c, built] of candidates) await loop(c, built.call, 2000)
    await compare(candidates, Number(first), Number(second))
  } else {
    const { call } = candidates.get(name as Candidate)!
    await loop(name, call, Number(first))
    await loop(name, call, Number(second))
  }
} finally {
  for (const built of candidates.values()) await built.gate.close()
  issuer?.server.close()
}
