/**
 * `npm run bench`: jwt-gate and its peers side by side under autocannon, on loopback.
 *
 * For each algorithm, every server of `SERVERS` runs as its own process (pinned to CPU 0 when
 * `taskset` exists; this process, the load generator, to CPU 1). Each round gives every server one
 * slice of load in a rotating order, so slow drifts of the machine fall on all of them alike.
 * Every slice is bounded in time and in requests. Around each slice the runner reads the server's
 * own `process.cpuUsage()` (`GET /__cpu`), so CPU per request is the server's alone.
 *
 * Writes bench/results/latest.md, bench/results/latest.json and docs/images/bench.svg.
 *
 * Options: `--rounds N` (default 3), `--seconds S` per slice (default 5), `--connections N`
 * (default 10), `--algs EdDSA,ES256,RS256,HS256`, `--out DIR` (results directory; the chart goes
 * to DIR/bench.svg unless DIR is the default), `--servers 'jwt-gate, DPoP;express-oauth2-jwt-bearer'`
 * (only those rows, and bare Express; names as in the table, separated by `;`), and `--smoke`: one algorithm, one round of 0.5 s slices,
 * results in a temporary directory, then the micro-benchmark in its smoke mode. The smoke run
 * checks that the suite works (every server answers 200 with the token and 401 without it, no
 * slice has a failed request); it asserts no numbers.
 */
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import type { Request } from 'autocannon'
import { createDpopClient, makeProof, makeProofs } from './dpop.js'
import type { DpopClient } from './dpop.js'
import { ALGORITHMS, createFixture, signTokens } from './fixture.js'
import type { BenchAlgorithm } from './fixture.js'
import { markdown, median, svg } from './report.js'
import type { Row, Run, Slice } from './report.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The servers of `bench/servers/`, in the order of the table. */
const SERVERS = [
  { name: 'bare Express', file: 'bare' },
  { name: 'jwt-gate', file: 'jwt-gate' },
  { name: 'jwt-gate, cache: false', file: 'jwt-gate', variant: 'cache-off' },
  { name: 'jwt-gate, resource', file: 'jwt-gate', variant: 'resource' },
  { name: 'jose, hand-written', file: 'jose' },
  { name: 'express-jwt', file: 'express-jwt', variant: 'keyobject', eddsa: false },
  { name: 'passport-jwt', file: 'passport-jwt', eddsa: false },
  { name: 'express-oauth2-jwt-bearer', file: 'oauth2-bearer' },
  // DPoP (bench/dpop.ts): a bound token and a fresh proof per request, never one sent twice.
  { name: 'jwt-gate, DPoP', file: 'jwt-gate', variant: 'dpop', dpop: true },
  { name: 'jwt-gate, DPoP, cache: false', file: 'jwt-gate', variant: 'dpop-cache-off', dpop: true },
  { name: 'express-oauth2-jwt-bearer, DPoP', file: 'oauth2-bearer', variant: 'dpop', dpop: true },
] as const
type ServerSpec = (typeof SERVERS)[number]

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string' },
    algs: { type: 'string' },
    out: { type: 'string' },
    servers: { type: 'string' },
  },
})
const smoke = args.smoke
function num(value: string | undefined, fallback: number, min: number, max: number): number {
  const n = value === undefined ? fallback : Number(value)
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`option out of range: ${value}`)
  return n
}
const rounds = num(args.rounds, smoke ? 1 : 3, 1, 20)
const seconds = num(args.seconds, smoke ? 0.5 : 5, 0.5, 60)
const connections = num(args.connections, 10, 1, 100)
const algs = (args.algs?.split(',') ?? (smoke ? ['ES256'] : [...ALGORITHMS])) as BenchAlgorithm[]
for (const alg of algs) if (!ALGORITHMS.includes(alg)) throw new Error(`unknown algorithm ${alg}`)
// Bare Express is always measured: the other rows are compared with it.
const only = args.servers === undefined ? undefined : ['bare Express', ...args.servers.split(';')]
for (const name of only ?? []) {
  if (!SERVERS.some((s) => s.name === name)) throw new Error(`unknown server ${name}`)
}
const START_TIMEOUT_MS = 30_000

const PINNING = (() => {
  if (process.platform !== 'linux' || availableParallelism() < 2) return false
  try {
    execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

/** A running server process. */
interface Server {
  spec: ServerSpec
  url: string
  child: ChildProcess
}

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

async function start(spec: ServerSpec, alg: BenchAlgorithm, fixtureFile: string): Promise<Server> {
  const script = ['--import', 'tsx', `bench/servers/${spec.file}.ts`]
  const [command, argv] = PINNING
    ? ['taskset', ['-c', '0', process.execPath, ...script]]
    : [process.execPath, script]
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      BENCH_FIXTURE: fixtureFile,
      BENCH_ALG: alg,
      BENCH_VARIANT: 'variant' in spec ? spec.variant : '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let output = ''
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${spec.name}: not listening`)),
      START_TIMEOUT_MS,
    )
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000)
      const match = /listening (\d+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${spec.name} exited with ${code}:\n${output}`))
    })
  })
  return { spec, url: `http://127.0.0.1:${port}`, child }
}

async function stop(server: Server): Promise<void> {
  const { child } = server
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  children.delete(child)
}

async function cpuMicros(server: Server): Promise<number> {
  const usage = (await (await fetch(`${server.url}/__cpu`)).json()) as {
    user: number
    system: number
  }
  return usage.user + usage.system
}

/** The credentials a slice sends: a bearer token, and for DPoP servers the bound token's client. */
interface Credentials {
  token: string
  dpop: DpopClient
}
const isDpop = (server: Server): boolean => 'dpop' in server.spec

/** Fails unless the server accepts the token and refuses a request without one. */
async function check(server: Server, { token, dpop }: Credentials): Promise<void> {
  if (isDpop(server)) return checkDpop(server, dpop)
  const ok = await fetch(`${server.url}/`, { headers: { authorization: `Bearer ${token}` } })
  const none = await fetch(`${server.url}/`)
  await Promise.all([ok.text(), none.text()])
  const expected = server.spec.file === 'bare' ? 200 : 401
  if (ok.status !== 200 || none.status !== expected) {
    throw new Error(`${server.spec.name}: ${ok.status} with the token, ${none.status} without`)
  }
  if ('variant' in server.spec && server.spec.variant === 'resource')
    await checkMetadata(server, none)
}

/**
 * A DPoP server accepts a fresh proof, refuses the bound token as Bearer and a request without
 * credentials; jwt-gate also refuses the same proof twice (the peer keeps no replay store).
 */
async function checkDpop(server: Server, client: DpopClient): Promise<void> {
  const proof = makeProof(client, `${server.url}/`)
  const send = (headers: Record<string, string>) =>
    fetch(`${server.url}/`, { headers }).then(async (r) => (await r.text(), r.status))
  const dpopHeaders = { authorization: `DPoP ${client.token}`, dpop: proof }
  const statuses = [
    await send(dpopHeaders),
    await send({ authorization: `Bearer ${client.token}` }),
    await send({}),
    await send(dpopHeaders),
  ]
  // The peer answers 400 to a Bearer request in its required mode; it remembers no proof.
  const expected = server.spec.file === 'jwt-gate' ? '200,401,401,401' : '200,400,401,200'
  if (statuses.join() !== expected) {
    throw new Error(`${server.spec.name}: DPoP, Bearer, none, replay answered ${statuses.join()}`)
  }
}

/** The `resource` variant serves its metadata and names it in challenges (else it measures nothing). */
async function checkMetadata(server: Server, refused: Response): Promise<void> {
  const document = await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp`)
  const body = (await document.json()) as { resource?: string }
  const challenge = refused.headers.get('www-authenticate') ?? ''
  if (body.resource === undefined || !challenge.includes('resource_metadata=')) {
    throw new Error(`${server.spec.name}: no protected-resource metadata`)
  }
}

/** Proofs made ahead of a DPoP slice, per second of it, and the time allowed to make them. */
const PROOFS_PER_SECOND = 8_000
const PROOF_MS_PER_SECOND = 3_000

/**
 * What autocannon sends: one bearer request, or for a DPoP server one proof per request, taken in
 * turn by every connection (each proof once; when they run out the slice has already stopped).
 * Returns the request cap: the proofs made less those the connections may have in flight.
 */
function load(server: Server, { token, dpop }: Credentials, s: number) {
  if (!isDpop(server)) {
    return {
      cap: Math.ceil(s * 50_000),
      options: { headers: { authorization: `Bearer ${token}` } },
    }
  }
  const count = Math.ceil(s * PROOFS_PER_SECOND)
  const proofs = makeProofs(dpop, `${server.url}/`, count, s * PROOF_MS_PER_SECOND)
  let next = 0
  const request: Request = {
    method: 'GET',
    path: '/',
    setupRequest: (req) => ({
      ...req,
      headers: {
        authorization: `DPoP ${dpop.token}`,
        dpop: proofs[Math.min(next++, proofs.length - 1)]!,
      },
    }),
  }
  return { cap: proofs.length - 2 * connections, options: { requests: [request] } }
}

async function slice(server: Server, creds: Credentials, round: number, s: number): Promise<Slice> {
  const { cap, options } = load(server, creds, s)
  const before = await cpuMicros(server)
  // Bounded in time (autocannon's `duration`) and in count (stopped at `maxRequests`; autocannon's
  // own `amount` would make it ignore the duration).
  const maxRequests = Math.min(Math.ceil(s * 50_000), cap)
  const instance = autocannon({
    url: `${server.url}/`,
    connections,
    duration: s,
    timeout: 10,
    ...options,
  })
  let answered = 0
  instance.on('response', () => {
    if (++answered === maxRequests) instance.stop()
  })
  const result = await instance
  const after = await cpuMicros(server)
  const requests = result.requests.total
  return {
    round,
    requests,
    seconds: result.duration,
    cpuMicros: after - before,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  }
}

/** Runs every server of one algorithm, rounds in rotating order; one row per server. */
async function measureAlgorithm(alg: BenchAlgorithm, fixtureFile: string, creds: Credentials) {
  const specs = SERVERS.filter(
    (s) => (alg !== 'EdDSA' || !('eddsa' in s)) && (only === undefined || only.includes(s.name)),
  )
  const servers: Server[] = []
  try {
    // Started together (startup is mostly module loading), stopped together in `finally`.
    const started = await Promise.allSettled(specs.map((spec) => start(spec, alg, fixtureFile)))
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value)
    for (const s of started) if (s.status === 'rejected') throw s.reason
    console.log(`  ${alg}: ${servers.length} servers listening`)
    for (const server of servers) await check(server, creds)
    // Warm-up, not recorded: JIT, connection pools, and the token's second verification (jwt-gate
    // caches a token from its second verification on).
    for (const server of servers) await slice(server, creds, 0, Math.min(1, seconds / 2))
    const slices = new Map<Server, Slice[]>(servers.map((s) => [s, []]))
    for (let round = 1; round <= rounds; round++) {
      const shift = (round - 1) % servers.length
      for (const server of [...servers.slice(shift), ...servers.slice(0, shift)]) {
        const result = await slice(server, creds, round, seconds)
        slices.get(server)!.push(result)
        const rate = Math.round(result.requests / result.seconds)
        console.log(`  ${alg} round ${round}: ${server.spec.name} ${rate} req/s`)
      }
    }
    return summarise(alg, servers, slices)
  } finally {
    await Promise.all(servers.map(stop))
  }
}

function summarise(alg: string, servers: Server[], slices: Map<Server, Slice[]>): Row[] {
  const rate = (s: Slice): number => s.requests / s.seconds
  const cpu = (s: Slice): number => s.cpuMicros / s.requests
  const bare = slices.get(servers.find((s) => s.spec.file === 'bare')!)!
  const bareOf = (round: number): Slice => bare.find((s) => s.round === round)!
  return servers.map((server) => {
    const own = slices.get(server)!
    return {
      alg,
      server: server.spec.name,
      reqPerSec: median(own.map(rate)),
      cpuMicrosPerRequest: median(own.map(cpu)),
      reqPerSecVsBare: median(own.map((s) => rate(s) / rate(bareOf(s.round)))),
      cpuVsBare: median(own.map((s) => cpu(s) / cpu(bareOf(s.round)))),
      p99Ms: median(own.map((s) => s.p99Ms)),
      failures: own.reduce((sum, s) => sum + s.failures, 0),
      slices: own,
    }
  })
}

/** CPU per request of each DPoP row over its library's bearer row with a fresh token. */
function dpopRatios(rows: Row[]): string {
  const bearerOf: Record<string, string> = {
    'jwt-gate, DPoP': 'jwt-gate, cache: false',
    'jwt-gate, DPoP, cache: false': 'jwt-gate, cache: false',
    'express-oauth2-jwt-bearer, DPoP': 'express-oauth2-jwt-bearer',
  }
  const lines = rows.flatMap((row) => {
    const bearer = rows.find((r) => r.alg === row.alg && r.server === bearerOf[row.server])
    if (bearer === undefined) return []
    const ratio = row.cpuMicrosPerRequest / bearer.cpuMicrosPerRequest
    return [`${row.alg} ${row.server}: ${ratio.toFixed(2)}x the CPU of ${bearer.server}`]
  })
  return `DPoP CPU per request over bearer (fresh token):\n${lines.join('\n')}\n`
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim()
  } catch {
    return 'unknown'
  }
}

async function main(): Promise<void> {
  const loadBefore = loadavg()
  const fixture = createFixture()
  const rows: Row[] = []
  try {
    for (const alg of algs) {
      console.log(`${alg}: ${rounds} rounds of ${seconds} s per server`)
      const [token] = await signTokens(fixture, alg, 1)
      const dpop = await createDpopClient(fixture, alg)
      rows.push(...(await measureAlgorithm(alg, fixture.file, { token: token!, dpop })))
    }
  } finally {
    fixture.dispose()
  }
  const run: Run = {
    smoke,
    date: new Date().toISOString(),
    commit: commit(),
    node: process.version,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    pinned: PINNING,
    loadBefore,
    loadAfter: loadavg(),
    rounds,
    secondsPerSlice: seconds,
    connections,
    rows,
  }
  const defaultOut = join(ROOT, 'bench', 'results')
  const out = args.out ?? (smoke ? mkdtempSync(join(tmpdir(), 'jwt-gate-bench-')) : defaultOut)
  mkdirSync(out, { recursive: true })
  const chart =
    out === defaultOut ? join(ROOT, 'docs', 'images', 'bench.svg') : join(out, 'bench.svg')
  const table = markdown(run)
  writeFileSync(join(out, 'latest.md'), table)
  writeFileSync(join(out, 'latest.json'), `${JSON.stringify(run, null, 2)}\n`)
  writeFileSync(chart, svg(run))
  console.log(
    `\n${table}\n${dpopRatios(rows)}\nwrote ${join(out, 'latest.md')}, latest.json and ${chart}`,
  )
  const failed = rows.filter((r) => r.failures > 0)
  if (failed.length > 0) {
    throw new Error(`failed requests: ${failed.map((r) => `${r.alg} ${r.server}`).join(', ')}`)
  }
  if (smoke) await microSmoke()
}

/** The micro-benchmark in its smoke mode: each verifier checked, a few iterations each. */
function microSmoke(): Promise<void> {
  const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs')
  const child = spawn(process.execPath, [vitest, 'bench', '--run', 'bench/micro'], {
    cwd: ROOT,
    env: { ...process.env, BENCH_SMOKE: '1' },
    stdio: 'inherit',
  })
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`micro-benchmark exited with ${code}`)),
    )
  })
}

await main()
