/**
 * `npm run bench`: jwt-gate and its peers side by side under autocannon, on loopback.
 *
 * For each algorithm, every server of `SERVERS` runs as its own process (bench/process.ts). Each
 * round gives every server one slice of load in a rotating order, so slow drifts of the machine
 * fall on all of them alike. Every slice is bounded in time and in requests; what it sends, and
 * the check before load, are in bench/requests.ts. Around each slice the runner reads the
 * server's own `process.cpuUsage()` (`GET /__cpu`), so CPU per request is the server's alone.
 *
 * Writes bench/results/latest.md, bench/results/latest.json and docs/images/bench.svg.
 *
 * Options (docs/performance.md): `--rounds N`, `--seconds S` per slice, `--connections N`,
 * `--algs`, `--out DIR` (the chart to DIR/bench.svg unless DIR is the default), `--servers`
 * (row names separated by `;`; bare Express always runs), and `--smoke`: one algorithm, one round
 * of 0.5 s slices, results in a temporary directory, then the micro-benchmark in its smoke mode;
 * it checks that the suite works (every server answers its check, no request fails), no numbers.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { createDpopClient } from './dpop.js'
import { ALGORITHMS, createFixture, signToken } from './fixture.js'
import type { BenchAlgorithm } from './fixture.js'
import { PINNING, ROOT, SERVERS, cpuMicros, start, stop } from './process.js'
import type { Server } from './process.js'
import { dpopRatios, markdown, median, svg } from './report.js'
import type { Row, Run, Slice } from './report.js'
import { check, load } from './requests.js'
import type { Credentials } from './requests.js'

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

async function slice(server: Server, creds: Credentials, round: number, s: number): Promise<Slice> {
  // Bounded in time (autocannon's `duration`) and in count (stopped at `cap`; autocannon's own
  // `amount` would make it ignore the duration).
  const { cap, options } = load(server, creds, s, connections)
  const before = await cpuMicros(server)
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const settings = { url: `${server.url}/`, connections, duration: s, timeout: 10, ...options }
    const instance = autocannon(settings, (error: Error | null, done) =>
      error ? reject(error) : resolve(done),
    )
    let answered = 0
    instance.on('response', () => {
      if (++answered === cap) instance.stop()
    })
  })
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

function commit(): string {
  try {
    const options = { cwd: ROOT, encoding: 'utf8' as const }
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], options).trim()
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
      const token = await signToken(fixture.signers[alg], alg)
      const dpop = await createDpopClient(fixture.signers[alg], alg)
      rows.push(...(await measureAlgorithm(alg, fixture.file, { token, dpop })))
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
  if (smoke) microSmoke()
}

/** The micro-benchmark in its smoke mode: each verifier checked, a few iterations each. */
function microSmoke(): void {
  const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs')
  execFileSync(process.execPath, [vitest, 'bench', '--run', 'bench/micro'], {
    cwd: ROOT,
    env: { ...process.env, BENCH_SMOKE: '1' },
    stdio: 'inherit',
  })
}

await main()
