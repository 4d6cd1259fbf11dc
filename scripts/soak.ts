/**
 * Hardening soak: floods one jwt-gate app over loopback with distinct invalid tokens, distinct
 * valid tokens, tokens naming unknown kids of a remote JWKS and valid tokens of unknown users, then
 * checks that memory stayed bounded, the verified-token cache and the user and revocation caches
 * kept to their limits, unknown kids did not cause a fetch storm, no request got a 5xx and the app
 * stayed responsive.
 *
 * Bounded in count and time, loopback only:
 *   npx tsx scripts/soak.ts                      (defaults: 20000 per flood, 60 s per flood)
 *   SOAK_COUNT=5000 SOAK_SECONDS=20 npx tsx scripts/soak.ts
 *   node --expose-gc --import tsx scripts/soak.ts   (RSS "after" measured after a forced GC)
 *
 * Exits 1 when a check fails.
 */
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent, request } from 'node:http'
import express from 'express'
import { authErrorHandler, authenticate } from '../src/index.js'
import { cacheRevocationStore, cacheUserStore } from '../src/stores/cache/index.js'
import { createMemoryRevocationStore, createMemoryUserStore } from '../src/stores/memory.js'

const COUNT = Number(process.env.SOAK_COUNT ?? 20_000)
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60)
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 32)
const CACHE_MAX = 5_000
const USER_CACHE_MAX = 500
const REVOCATION_CACHE_MAX = 2_000
const KNOWN_USERS = 1_000
const COOLDOWN_MS = 30_000

const HS_ISSUER = 'https://hs.example.org'
const ES_ISSUER = 'https://es.example.org'
const SECRET = randomBytes(32)
const es = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const b64u = (data: string | Buffer): string => Buffer.from(data).toString('base64url')

function hsToken(claims: Record<string, unknown>, key: Buffer = SECRET): string {
  const input = `${b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64u(JSON.stringify(claims))}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

function esToken(kid: string): string {
  const now = Math.floor(Date.now() / 1000)
  const claims = { iss: ES_ISSUER, sub: 'alice', iat: now, exp: now + 600 }
  const input = `${b64u(JSON.stringify({ alg: 'ES256', kid }))}.${b64u(JSON.stringify(claims))}`
  const signature = sign('sha256', Buffer.from(input), {
    key: es.privateKey,
    dsaEncoding: 'ieee-p1363',
  })
  return `${input}.${b64u(signature)}`
}

function validToken(i: number): string {
  const now = Math.floor(Date.now() / 1000)
  const sub = `user${((i % KNOWN_USERS) + KNOWN_USERS) % KNOWN_USERS}`
  return hsToken({ iss: HS_ISSUER, sub, jti: `valid-${i}`, iat: now, exp: now + 600 })
}

/** Validly signed, but for a user the store does not know. */
function unknownUserToken(i: number): string {
  const now = Math.floor(Date.now() / 1000)
  return hsToken({ iss: HS_ISSUER, sub: `ghost-${i}`, jti: `ghost-${i}`, iat: now, exp: now + 600 })
}

/** Ten kinds of invalid token, each made distinct by `i`. */
function invalidToken(i: number): string {
  const now = Math.floor(Date.now() / 1000)
  const claims = { iss: HS_ISSUER, sub: 'admin', jti: `bad-${i}`, exp: now + 600 }
  switch (i % 10) {
    case 0:
      return hsToken(claims, randomBytes(32))
    case 1:
      return `${b64u('{"alg":"none"}')}.${b64u(JSON.stringify(claims))}.`
    case 2:
      return hsToken({ ...claims, exp: now - 10 })
    case 3:
      return randomBytes(48).toString('base64url')
    case 4:
      return `${hsToken(claims).slice(0, -6)}AAAAAA`
    case 5:
      return `${b64u(`{"alg":"HS256","x":"${i}"`)}.${b64u('{}')}.${b64u('sig')}`
    case 6:
      return 'A'.repeat(9_000) + String(i)
    case 7:
      return hsToken({ ...claims, iss: `https://evil${i}.example` })
    case 8:
      return `${b64u(JSON.stringify({ alg: 'dir', enc: 'A256GCM', i }))}.a.b.c.d`
    default:
      return hsToken({ ...claims, sub: { i } })
  }
}

interface Flood {
  name: string
  token: (i: number) => string
  /** Statuses this flood may see; anything else (a 5xx above all) fails the soak. */
  allowed: ReadonlySet<number>
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })

function get(base: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/protected`,
      { agent, headers: { authorization: `Bearer ${token}` }, timeout: 10_000 },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('timeout', () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end()
  })
}

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10

async function main(): Promise<void> {
  let jwksHits = 0
  const jwksServer = createServer((_req, res) => {
    jwksHits++
    res.setHeader('Content-Type', 'application/json')
    res.end(
      JSON.stringify({
        keys: [{ ...es.publicKey.export({ format: 'jwk' }), kid: 'es-1', alg: 'ES256' }],
      }),
    )
  })
  const jwksUrl = `${await listen(jwksServer)}/jwks`

  const users = cacheUserStore(
    createMemoryUserStore(
      Array.from({ length: KNOWN_USERS }, (_, i) => ({ username: `user${i}`, roles: ['user'] })),
    ),
    { max: USER_CACHE_MAX },
  )
  const revocation = cacheRevocationStore(createMemoryRevocationStore(), {
    max: REVOCATION_CACHE_MAX,
  })
  const middleware = authenticate({
    users: { store: users },
    revocation: { store: revocation },
    issuers: [
      { issuer: HS_ISSUER, key: { secret: SECRET } },
      { issuer: ES_ISSUER, key: { jwksUrl, cooldown: COOLDOWN_MS } },
    ],
    cache: { max: CACHE_MAX },
  })
  const app = express()
  app.use(middleware)
  app.get('/protected', (req, res) => {
    res.json({ subject: req.auth?.subject })
  })
  // Auth errors get their status; anything else falls through to Express's 500 (and is logged).
  app.use(authErrorHandler())
  const appServer = createServer(app)
  const base = await listen(appServer)
  await middleware.warmUp()

  const floods: Flood[] = [
    { name: 'distinct invalid tokens', token: invalidToken, allowed: new Set([400, 401]) },
    { name: 'distinct valid tokens', token: validToken, allowed: new Set([200]) },
    {
      name: 'unknown kids (remote JWKS)',
      token: (i) => esToken(`unknown-${i}`),
      allowed: new Set([401]),
    },
    { name: 'valid tokens of unknown users', token: unknownUserToken, allowed: new Set([401]) },
  ]

  const failures: string[] = []
  let peakRss = 0
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }, 100)
  const rssBefore = process.memoryUsage().rss
  const heapBefore = process.memoryUsage().heapUsed
  console.log(
    `soak: ${COUNT} requests per flood, at most ${SECONDS} s each, concurrency ${CONCURRENCY}`,
  )
  console.log(`RSS before: ${mb(rssBefore)} MB (heap used ${mb(heapBefore)} MB)`)

  for (const flood of floods) {
    const hitsBefore = jwksHits
    const started = performance.now()
    const deadline = started + SECONDS * 1000
    const statuses = new Map<number, number>()
    let next = 0
    let maxCache = 0
    let maxUsers = 0
    let maxRevocations = 0
    const worker = async (): Promise<void> => {
      while (next < COUNT && performance.now() < deadline) {
        const status = await get(base, flood.token(next++))
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        maxCache = Math.max(maxCache, middleware.authenticator.cacheSize)
        maxUsers = Math.max(maxUsers, users.size)
        maxRevocations = Math.max(maxRevocations, revocation.size)
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    const seconds = (performance.now() - started) / 1000
    const controlStarted = performance.now()
    const control = await get(base, validToken(-1))
    const controlMs = performance.now() - controlStarted
    const fetches = jwksHits - hitsBefore
    const allowedFetches = 1 + Math.ceil((seconds * 1000) / COOLDOWN_MS)

    console.log(
      `\n${flood.name}: ${next} requests in ${seconds.toFixed(1)} s (${Math.round(next / seconds)}/s)`,
    )
    console.log(`  statuses: ${JSON.stringify(Object.fromEntries(statuses))}`)
    const usage = process.memoryUsage()
    console.log(
      `  RSS now ${mb(usage.rss)} MB, peak so far ${mb(peakRss)} MB, heap used ${mb(usage.heapUsed)} MB`,
    )
    console.log(
      `  verified-token cache: max seen ${maxCache}, now ${middleware.authenticator.cacheSize} (bound ${CACHE_MAX})`,
    )
    console.log(
      `  user cache: max seen ${maxUsers} (bound ${USER_CACHE_MAX}); revocation cache: max seen ${maxRevocations} (bound ${REVOCATION_CACHE_MAX})`,
    )
    console.log(`  JWKS fetches during the flood: ${fetches} (allowed ${allowedFetches})`)
    console.log(`  control request afterwards: ${control} in ${controlMs.toFixed(1)} ms`)

    for (const status of statuses.keys()) {
      if (!flood.allowed.has(status)) failures.push(`${flood.name}: unexpected status ${status}`)
    }
    if (maxCache > CACHE_MAX) failures.push(`${flood.name}: cache grew to ${maxCache}`)
    if (maxUsers > USER_CACHE_MAX) failures.push(`${flood.name}: user cache grew to ${maxUsers}`)
    if (maxRevocations > REVOCATION_CACHE_MAX) {
      failures.push(`${flood.name}: revocation cache grew to ${maxRevocations}`)
    }
    if (fetches > allowedFetches) failures.push(`${flood.name}: ${fetches} JWKS fetches`)
    if (control !== 200 || controlMs > 1_000) failures.push(`${flood.name}: app not responsive`)
  }

  clearInterval(sampler)
  middleware.authenticator.clearCache()
  users.invalidate({ type: 'all' })
  revocation.invalidate({ type: 'all' })
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const rssAfter = process.memoryUsage().rss
  const heapAfter = process.memoryUsage().heapUsed
  console.log(`heap used before ${mb(heapBefore)} MB, after ${mb(heapAfter)} MB`)
  console.log(
    `\nRSS before ${mb(rssBefore)} MB, peak ${mb(peakRss)} MB, after ${mb(rssAfter)} MB${gc === undefined ? ' (no forced GC; run with node --expose-gc --import tsx for a settled figure)' : ' (after GC)'}`,
  )
  // A bounded process settles well below this; a leak of the floods' tokens would not.
  if (peakRss - rssBefore > 512 * 1024 * 1024) failures.push('RSS grew by more than 512 MB')

  agent.destroy()
  await middleware.close()
  appServer.closeAllConnections()
  await new Promise<void>((resolve) => appServer.close(() => resolve()))
  jwksServer.closeAllConnections()
  await new Promise<void>((resolve) => jwksServer.close(() => resolve()))

  if (failures.length > 0) {
    console.error(`\nFAILED:\n- ${failures.join('\n- ')}`)
    process.exitCode = 1
  } else {
    console.log('\nall checks passed')
  }
}

await main()
