/**
 * `npm run bench`: every server as its own process (pinned to CPU 0 when `taskset` exists), this
 * process as the load generator (CPU 1), all scenarios repeated in alternating order, medians
 * reported as a Markdown table, a JSON file and an SVG chart. jwt-gate's repeated-token rows are
 * paired: each of their runs has a bare Express run of its own next to it (see `pairsWithBare`).
 * A last pass measures the comparisons whose targets sit within the machine's noise again, with
 * the servers side by side and the load interleaved in short slices (`bench/interleaved-pass.ts`).
 *
 * Throughput runs use autocannon as fast as it goes (`bench/load.ts`). The fixed-rate latency run
 * (bare Express against jwt-gate, one repeated token) uses the open-loop generator of
 * `bench/paced.ts` instead: one request every 1/R s over a keep-alive pool, latency from each
 * request's intended send time (coordinated omission corrected), the achieved rate checked. Not
 * autocannon's `overallRate`: that is a per-second quota (send flat out until the second's quota is
 * met, then idle), so its load is bursty and its p99 measured queueing behind the burst.
 *
 * Options: `--smoke` (a few scenarios, very short runs, results in a temporary directory),
 * `--rounds N`, `--seconds S`, `--pool N` (tokens per algorithm for distinct-token runs), `--warmup S` (also the fixed-rate warm-up), `--connections N` (also
 * the paced pool), `--rate R` (fixed-rate latency run; default a quarter of bare Express's req/s
 * in the same run), `--rate-seconds S`, `--filter TEXT[,TEXT…]` (scenario ids containing one of the TEXTs), `--out DIR`, `--chart FILE`,
 * `--shape` (bare Express against no-op middlewares: what the middleware shape alone costs),
 * `--declared` (each repeated-token row beside its twin that calls `declareRequestAuth`),
 * `--answer sync|immediate` (how every server's protected route answers; see `ANSWER_MODES`),
 * `--cycles N` and `--slice-seconds S` (the interleaved pass of close comparisons; `--cycles 0`
 * skips it; see `bench/interleaved-pass.ts`), `--baseline-dist DIR` (the interleaved pass also runs
 * each compared jwt-gate row on the build in DIR).
 */
import { execFileSync } from 'node:child_process'
import { cpus, loadavg, tmpdir } from 'node:os'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { createFixture, signTokens } from './fixture.js'
import type { BenchAlgorithm } from './fixture.js'
import { measure } from './load.js'
import type { RunResult } from './load.js'
import { renderMarkdown } from './markdown.js'
import { measurePaced } from './paced.js'
import type { PacedRun } from './paced.js'
import type { RunInfo } from './markdown.js'
import { closeComparisons, runInterleavedLatency, runInterleavedPass } from './interleaved-pass.js'
import { BARE, FIXED_RATE, declaredSuite, fullSuite, shapeSuite, smokeSuite } from './scenarios.js'
import type { Scenario } from './scenarios.js'
import { writeResult } from './output.js'
import { PINNING, pinLoadGenerator, startScenarioServer } from './server-process.js'
import { POSTGRES_URL } from './servers/user-stores.js'
import { median } from './statistics.js'
import { checkTargets, summarise, summariseLatency } from './summary.js'
import { chartSubtitle, renderSvg } from './svg.js'

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    shape: { type: 'boolean', default: false },
    declared: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    rate: { type: 'string' },
    'rate-seconds': { type: 'string' },
    filter: { type: 'string' },
    out: { type: 'string' },
    chart: { type: 'string' },
    pool: { type: 'string' },
    answer: { type: 'string', default: 'sync' },
    cycles: { type: 'string' },
    'slice-seconds': { type: 'string' },
    'baseline-dist': { type: 'string' },
  },
})

const smoke = args.smoke
const num = (value: string | undefined, fallback: number, min: number, max: number): number => {
  const n = value === undefined ? fallback : Number(value)
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`option out of range: ${value}`)
  return n
}
const rounds = num(args.rounds, smoke ? 1 : 3, 1, 20)
const seconds = num(args.seconds, smoke ? 1 : 5, 0.5, 120)
const warmupSeconds = num(args.warmup, smoke ? 0.3 : 1, 0, 30)
const connections = num(args.connections, 50, 1, 1000)
const rateOption = args.rate === undefined ? undefined : num(args.rate, 0, 10, 1_000_000)
/**
 * The default fixed rate: a quarter of what bare Express sustains in the same run, rounded to
 * 100 req/s. Latency compared at a fixed share of capacity means the same on a fast and on a slow
 * machine (the issue's reference, 3,000 req/s against 11,500 for bare Express, is about a quarter);
 * a fixed number would load a slower machine closer to saturation, where queueing rather than the
 * middleware decides the tail.
 */
const RATE_SHARE = 0.25
function fixedRate(bareRps: number | undefined): number {
  if (rateOption !== undefined) return rateOption
  if (smoke || bareRps === undefined) return 500
  return Math.max(100, Math.round((bareRps * RATE_SHARE) / 100) * 100)
}
/** The interleaved pass (`bench/interleaved-pass.ts`): cycles (0 skips it) and slice length. */
const interleaveCycles = num(args.cycles, smoke ? 2 : 30, 0, 100)
const sliceSeconds = num(args['slice-seconds'], smoke ? 0.25 : 1, 0.1, 30)
/** The warm-up of each interleaved fixed-rate window: its connections are new (seconds). */
const LATENCY_WINDOW_WARMUP_SECONDS = 0.25
const rateSeconds = num(args['rate-seconds'], smoke ? 1 : 10, 0.5, 300)
/** The small jwt-gate cache of the `cycling` row, and the pool (five times larger) it cycles. */
const cacheMax = smoke ? 100 : 1000
const cyclePool = cacheMax * 5
/**
 * Tokens per algorithm for `distinct` runs: enough that none is sent twice in a run (warm-up
 * included) up to 16,000 req/s, above what bare Express answers on this machine when it is quiet
 * (about 13,000): at 8,000 the HS256 and RS256 rows of a quiet run ran out. A run that still runs
 * out is reported as not valid.
 */
const poolSize = num(args.pool, Math.ceil(16_000 * (seconds + warmupSeconds)), cyclePool, 1_000_000)
/**
 * How the protected route of every server answers:
 * - `sync` (the default): `res.json()` at once, in the same turn of the event loop as the
 *   middleware before it;
 * - `immediate`: from `setImmediate()`, so that every server writes its answers in the same phase
 *   of the event loop (after all connections that were ready have been read), whatever its
 *   middleware does.
 * The mode matters on loopback: writing an answer wakes the load generator, and answers written
 * one by one during the poll phase cost the server more kernel time per request than answers
 * written together afterwards. express-jwt calls `next()` from `setImmediate()`, so in `sync` mode
 * its rows get the cheaper pattern and the others do not; `immediate` gives it to every row, so
 * that only what the middlewares compute is compared.
 */
const ANSWER_MODES: readonly RunInfo['answer'][] = ['sync', 'immediate']
function answerMode(value: string): RunInfo['answer'] {
  const mode = ANSWER_MODES.find((known) => known === value)
  if (mode === undefined) throw new Error(`--answer must be one of ${ANSWER_MODES.join(', ')}`)
  return mode
}
const answer = answerMode(args.answer)
/**
 * `--baseline-dist DIR`: another build of jwt-gate (`npx tsc -p tsconfig.build.json --outDir DIR`
 * on an earlier commit, say), which the interleaved pass runs beside each compared jwt-gate row.
 */
const baseline = baselineBuild(args['baseline-dist'])
function baselineBuild(dir: string | undefined): { dist: string; name: string } | undefined {
  if (dir === undefined) return undefined
  const dist = resolve(dir)
  if (!existsSync(join(dist, 'index.js'))) {
    throw new Error(`--baseline-dist: ${dir} holds no build of jwt-gate (no index.js)`)
  }
  return { dist, name: dir }
}
// Only the full suite in its default mode writes the committed results and the README chart.
const partial =
  smoke ||
  args.shape ||
  args.declared ||
  args.filter !== undefined ||
  answer !== 'sync' ||
  baseline !== undefined
const outDir = args.out ?? (partial ? join(tmpdir(), 'jwt-gate-bench-smoke') : 'bench/results')
const chartFile = args.chart ?? (partial ? join(outDir, 'bench.svg') : 'docs/images/bench.svg')

async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 1500 })
  client.on('error', () => undefined)
  try {
    await client.connect()
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

/** Loads one running server and measures it (autocannon or the paced generator). */
type Measurer<R extends RunResult> = (
  server: { url: string; cpuSeconds(): number | undefined },
  scenario: Scenario,
  tokens: readonly string[],
) => Promise<R>

async function runOnce<R extends RunResult>(
  scenario: Scenario,
  env: Record<string, string>,
  tokens: readonly string[],
  run: Measurer<R>,
): Promise<R> {
  const server = await startScenarioServer(scenario, env)
  try {
    return await run(server, scenario, tokens)
  } finally {
    await server.stop()
  }
}

const isPaced = (result: RunResult): result is PacedRun => 'targetRate' in result

/** Whole milliseconds as they are (autocannon), sub-millisecond precision with 2 decimals (paced). */
const msText = (value: number): string =>
  Number.isInteger(value) ? String(value) : value.toFixed(2)

/**
 * Whether a row gets a bare Express run of its own beside each of its runs: every jwt-gate row with
 * one repeated token, whose target is a share of bare Express. On a machine whose speed drifts by
 * ±20 % from minute to minute, a ratio to the bare Express run of the same round, minutes away,
 * measured the drift as much as the middleware; a ratio to a run made seconds before (or after)
 * compares like with like.
 */
const pairsWithBare = (scenario: Scenario): boolean =>
  scenario.kind === 'jwt-gate' && scenario.tokens === 'repeated'

/** One step of a round: a scenario, or (with `beside`) the bare Express run next to the paired scenario of that id. */
interface Step {
  scenario: Scenario
  beside?: string
}

/** The runs of every scenario, and the bare Express runs made beside paired ones (by id). */
interface Rounds<R extends RunResult> {
  runs: Map<string, R[]>
  bareBeside: Map<string, R[]>
}

/**
 * Runs every scenario `rounds` times, reversing the order every other round (A B C, C B A…). A
 * scenario that `paired` selects is preceded by a bare Express run of its own, so that in reversed
 * rounds that run follows it.
 */
async function runRounds<R extends RunResult>(
  scenarios: readonly Scenario[],
  env: Record<string, string>,
  tokensOf: (scenario: Scenario) => readonly string[],
  run: Measurer<R>,
  paired: (scenario: Scenario) => boolean = () => false,
): Promise<Rounds<R>> {
  const runs = new Map<string, R[]>(scenarios.map((s) => [s.id, []]))
  const bareBeside = new Map<string, R[]>()
  const steps: Step[] = scenarios.flatMap((scenario) => {
    if (!paired(scenario)) return [{ scenario }]
    bareBeside.set(scenario.id, [])
    return [{ scenario: BARE, beside: scenario.id }, { scenario }]
  })
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? steps : [...steps].reverse()
    for (const { scenario, beside } of order) {
      const result = await runOnce(scenario, env, tokensOf(scenario), run)
      ;(beside === undefined ? runs.get(scenario.id) : bareBeside.get(beside))!.push(result)
      const name = beside === undefined ? scenario.id : `${scenario.id} (beside ${beside})`
      const warn =
        (result.failures > 0 ? `  ⚠ ${result.failures} failed` : '') +
        (result.tokensReused > 0 ? `  ⚠ pool ran out: ${result.tokensReused} tokens re-sent` : '')
      const paced = isPaced(result)
        ? `  p99.9 ${msText(result.p999)} ms  (paced: ${result.rps.toFixed(1)} of ${result.targetRate} req/s, send lag p99 ${msText(result.sendLagP99)} ms (clock ${msText(result.clockLagP99)} ms), generator CPU ${(result.generatorCpu * 100).toFixed(0)} %)`
        : ''
      process.stdout.write(
        `  [${round + 1}/${rounds}] ${name.padEnd(44)} ${Math.round(result.rps).toString().padStart(6)} req/s  p50 ${msText(result.p50)} ms  p99 ${msText(result.p99)} ms  cpu ${result.cpuMicros?.toFixed(0) ?? '?'} µs/req${paced}${warn}\n`,
      )
    }
  }
  return { runs, bareBeside }
}

async function main(): Promise<void> {
  const started = Date.now()
  pinLoadGenerator()
  const loadBefore = loadavg()
  const postgres = !smoke && (await postgresAvailable())
  let scenarios = args.shape
    ? shapeSuite()
    : args.declared
      ? declaredSuite()
      : smoke
        ? smokeSuite()
        : fullSuite({ postgres })
  if (args.filter !== undefined) {
    const filters = args.filter.split(',').filter(Boolean)
    scenarios = scenarios.filter(
      (s) => s.id === 'express' || filters.some((filter) => s.id.includes(filter)),
    )
  }
  if (!smoke && !postgres)
    process.stdout.write('PostgreSQL not reachable: its user-check row is skipped\n')

  const fixture = createFixture()
  try {
    const algs = new Set<BenchAlgorithm>(['EdDSA'])
    for (const s of scenarios) if (s.alg !== undefined) algs.add(s.alg)
    const pools = new Map<BenchAlgorithm, string[]>()
    const signing = Date.now()
    for (const alg of algs) pools.set(alg, await signTokens(fixture, alg, poolSize))
    process.stdout.write(
      `signed ${poolSize.toLocaleString('en-US')} tokens for each of ${[...algs].join(', ')} in ${((Date.now() - signing) / 1000).toFixed(0)} s\n`,
    )
    const cycles = new Map([...pools].map(([alg, pool]) => [alg, pool.slice(0, cyclePool)]))
    const tokensOf = (s: Scenario): readonly string[] =>
      s.alg === undefined ? [] : (s.tokens === 'cycling' ? cycles : pools).get(s.alg)!
    const env = {
      BENCH_FIXTURE: fixture.file,
      BENCH_CACHE_MAX: String(cacheMax),
      BENCH_ANSWER: answer,
    }

    process.stdout.write(
      `${scenarios.length} scenarios × ${rounds} rounds, ${seconds} s each (${PINNING ? 'server on CPU 0, load on CPU 1' : 'no CPU pinning'})\n`,
    )
    const throughput = { seconds, warmupSeconds, connections }
    const { runs, bareBeside } = await runRounds(
      scenarios,
      env,
      tokensOf,
      (server, scenario, tokens) => measure(server, scenario, tokens, throughput),
      pairsWithBare,
    )

    // A fixed-rate scenario runs when its throughput scenario is in this run; `--shape` and
    // `--declared` compare throughput only.
    const rateScenarios =
      args.shape || args.declared
        ? []
        : FIXED_RATE.filter((s) =>
            scenarios.some((t) => s.id === t.id || s.id.startsWith(`${t.id}/`)),
          )
    const bareRuns = runs.get('express')
    const rate = fixedRate(bareRuns === undefined ? undefined : median(bareRuns.map((r) => r.rps)))
    if (rateScenarios.length > 0) {
      process.stdout.write(
        `fixed rate: ${rate} req/s evenly paced over ${connections} connections, ${warmupSeconds} s warm-up + ${rateSeconds} s\n`,
      )
    }
    const paced = { rate, seconds: rateSeconds, warmupSeconds, connections }
    const { runs: rateRuns } = await runRounds(
      rateScenarios,
      env,
      tokensOf,
      (server, scenario, tokens) => measurePaced(server, scenario, tokens, paced),
    )

    const latencyWindows =
      interleaveCycles === 0
        ? new Map<string, PacedRun[]>()
        : await runInterleavedLatency(rateScenarios, env, tokensOf, interleaveCycles, {
            ...paced,
            seconds: sliceSeconds,
            warmupSeconds: LATENCY_WINDOW_WARMUP_SECONDS,
          })
    const interleaved =
      interleaveCycles === 0
        ? []
        : await runInterleavedPass(closeComparisons(scenarios, baseline), env, tokensOf, {
            cycles: interleaveCycles,
            sliceSeconds,
            warmupSeconds,
            connections,
          })

    const rows = summarise(scenarios, runs, bareBeside)
    const latency = summariseLatency(rateScenarios, rateRuns, rate)
    const latencyInterleaved = summariseLatency(rateScenarios, latencyWindows, rate)
    const targets = partial ? [] : checkTargets(rows, latency, interleaved, latencyInterleaved)
    const info: RunInfo = {
      date: new Date().toISOString(),
      commit: gitCommit(),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown CPU',
      cores: cpus().length,
      pinned: PINNING,
      loadBefore,
      loadAfter: loadavg(),
      rounds,
      seconds,
      connections,
      cycles: interleaveCycles,
      sliceSeconds,
      poolSize,
      cyclePool,
      cacheMax,
      answer,
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    }
    const markdown = renderMarkdown(info, rows, latency, latencyInterleaved, interleaved, targets)
    process.stdout.write(`\n${markdown}\n`)

    const base = smoke
      ? 'smoke'
      : args.shape
        ? 'shape'
        : args.declared
          ? 'declared'
          : baseline !== undefined
            ? 'baseline'
            : 'latest'
    await writeResult(join(outDir, `${base}.md`), markdown)
    await writeResult(
      join(outDir, `${base}.json`),
      `${JSON.stringify({ info, rows, latency, latencyInterleaved, interleaved, targets }, null, 2)}\n`,
    )
    const subtitle = chartSubtitle(info)
    await writeResult(chartFile, renderSvg(rows, subtitle))
    const failed =
      rows.some((r) => r.failures > 0) ||
      latency.some((r) => r.failures > 0) ||
      latencyInterleaved.some((r) => r.failures > 0) ||
      interleaved.some((r) => r.failures > 0)
    process.stdout.write(
      `\nwrote ${join(outDir, `${base}.md`)}, ${join(outDir, `${base}.json`)}, ${chartFile} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    )
    if (failed) {
      process.stderr.write('some runs had failed requests: the numbers above are not valid\n')
      process.exitCode = 1
    }
  } finally {
    fixture.dispose()
  }
}

await main()
