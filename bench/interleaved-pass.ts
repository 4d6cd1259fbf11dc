/**
 * The interleaved pass of `npm run bench`: the run's close comparisons measured again with the
 * interleaved generator (`bench/interleaved.ts`), whose ratios come from slices seconds apart
 * instead of runs minutes apart.
 *
 * The close comparisons are the ones whose targets sit within the machine's noise:
 * - each default jwt-gate row with one repeated token against bare Express (target ≥ 90 %). Bare
 *   Express is loaded twice in the same cycle: with no token, as the suite's bare row, and with the
 *   very request jwt-gate gets (same `Authorization` or `Cookie` header, which bare Express
 *   ignores). The second isolates what the middleware costs from what a longer request costs
 *   Node's HTTP parser and the kernel; the target is judged against it;
 * - each default jwt-gate bearer row with distinct tokens against express-jwt with a `KeyObject`
 *   (target: ahead);
 * - with `--shape`, each no-op middleware against bare Express: the floor that any middleware
 *   (setting `req.auth` or not) starts from. The jwt-gate row of `--shape` also gets a third arm:
 *   the middleware that does to the request what a cache hit does (reads the header, scans the raw
 *   header list, sets a fresh object), given the same request. Its ratio is what jwt-gate's own
 *   work costs above that floor;
 * - the fixed-rate latency pairs (bare Express and jwt-gate with the same node flags), whose p99s
 *   are compared in short paced windows taken in turn (see {@link runInterleavedLatency});
 * - with `--baseline-dist DIR`, each compared jwt-gate row also against the same row served by
 *   another build of jwt-gate (an earlier commit's, say), given the same requests: a change's
 *   effect measured side by side.
 */
import { interleave } from './interleaved.js'
import type { ArmResult, InterleaveSettings } from './interleaved.js'
import { checkedMeasurement } from './load.js'
import { pacedRun, requestBuffers } from './paced.js'
import type { PacedRun, PacedSettings } from './paced.js'
import { BARE, DECLARED_AUTH_VARIANT, LIKE_GATE_VARIANT, departsFromDefaults } from './scenarios.js'
import type { Scenario } from './scenarios.js'
import { startScenarioServer } from './server-process.js'
import type { ServerProcess } from './server-process.js'
import { median, quartiles } from './statistics.js'
import { percent } from './format.js'

/** The bare Express arm that gets no token, as the suite's bare row. */
export const BARE_NO_TOKEN = 'bare Express, no token'
/** The bare Express arm that gets the same request as the jwt-gate arm beside it. */
export const BARE_SAME_REQUEST = 'bare Express, same request'
/** The `--shape` arm that does what a cache hit does to the request, given the same request. */
export const LIKE_GATE_SAME_REQUEST = 'like-gate middleware, same request'

/**
 * The server of the bare Express arm given the same request: a process of its own, apart from the
 * arm given no token. A server's req/s in a slice depends on how long it idled before (Pass 12 of
 * docs/performance.md: bare Express answered about 10 % more when loaded every other slice than
 * when loaded once in 16), so one process serving both bare arms was loaded twice per cycle and
 * jwt-gate once, which favoured bare Express. With a process per arm, every arm idles alike.
 */
const BARE_FOR_SAME_REQUEST: Scenario = { ...BARE, id: `${BARE.id}#same-request` }

/** One arm of a comparison: the server that answers, and the scenario whose requests it gets. */
interface ArmPlan {
  name: string
  server: Scenario
  requestsOf: Scenario
}

/** A close comparison: a jwt-gate row (the subject) loaded in turn with the arms it is compared with. */
export interface Comparison {
  subject: Scenario
  /** The arm the target is judged against. */
  judgedAgainst: string
  arms: ArmPlan[]
}

/** The subject's ratio to one other arm of its comparison. */
export interface ComparisonRow {
  subject: Scenario
  against: string
  /** Whether the target is judged against this arm. */
  judged: boolean
  cycles: number
  /** Median of the slices' req/s, subject and other arm. */
  subjectRps: number
  againstRps: number
  /** Median over cycles of the subject's slice req/s over the other arm's, same cycle. */
  ratio: number
  /** First and third quartile of those per-cycle ratios. */
  quartiles: [number, number]
  /** Median over cycles of the other arm's CPU µs per request over the subject's. */
  cpuRatio: number | undefined
  /** Failed requests and re-sent distinct tokens of both arms: any makes the row not valid. */
  failures: number
  reused: number
}

/** The arm of a comparison that runs the subject on another build (`--baseline-dist`). */
export function baselineArmName(dist: string): string {
  return `jwt-gate, build in ${dist}`
}

/**
 * The close comparisons among `scenarios` (see the module's comment). With `baseline` (another
 * build's absolute directory, and the name the results give it), each compared jwt-gate row gets
 * an arm that serves it from that build.
 */
export function closeComparisons(
  scenarios: readonly Scenario[],
  baseline?: { dist: string; name: string },
): Comparison[] {
  const comparisons: Comparison[] = []
  const onBaseline = (subject: Scenario): ArmPlan[] =>
    baseline === undefined
      ? []
      : [
          {
            name: baselineArmName(baseline.name),
            server: { ...subject, id: `${subject.id}@${baseline.name}`, dist: baseline.dist },
            requestsOf: subject,
          },
        ]
  const likeGate = scenarios.find((s) => s.kind === 'ceiling' && s.variant === LIKE_GATE_VARIANT)
  // The opt-in row runs beside the default row of the same token, given the same requests.
  const defaultRowOf = (subject: Scenario): ArmPlan[] =>
    scenarios
      .filter(
        (s) =>
          s.kind === 'jwt-gate' &&
          !departsFromDefaults(s) &&
          s.alg === subject.alg &&
          s.tokens === subject.tokens &&
          s.transport === subject.transport,
      )
      .map((s) => ({ name: s.label, server: s, requestsOf: subject }))
  for (const subject of scenarios) {
    // `--shape`: each no-op middleware against bare Express, the floor of any middleware.
    if (subject.kind === 'ceiling' && subject.variant !== undefined) {
      comparisons.push({
        subject,
        judgedAgainst: BARE_NO_TOKEN,
        arms: [
          { name: BARE_NO_TOKEN, server: BARE, requestsOf: BARE },
          { name: subject.label, server: subject, requestsOf: subject },
        ],
      })
    }
    const declaresAuth = subject.variant?.split(',').includes(DECLARED_AUTH_VARIANT) === true
    if (subject.kind !== 'jwt-gate' || (departsFromDefaults(subject) && !declaresAuth)) continue
    const own: ArmPlan = { name: subject.label, server: subject, requestsOf: subject }
    if (subject.tokens === 'repeated') {
      comparisons.push({
        subject,
        judgedAgainst: BARE_SAME_REQUEST,
        arms: [
          { name: BARE_NO_TOKEN, server: BARE, requestsOf: BARE },
          { name: BARE_SAME_REQUEST, server: BARE_FOR_SAME_REQUEST, requestsOf: subject },
          ...(likeGate === undefined
            ? []
            : [{ name: LIKE_GATE_SAME_REQUEST, server: likeGate, requestsOf: subject }]),
          ...onBaseline(subject),
          ...(declaresAuth ? defaultRowOf(subject) : []),
          own,
        ],
      })
    }
    const rival = scenarios.find(
      (s) =>
        s.server === 'express-jwt' &&
        s.variant === 'keyobject' &&
        s.alg === subject.alg &&
        s.tokens === 'distinct',
    )
    if (subject.tokens === 'distinct' && subject.transport === 'bearer' && rival !== undefined) {
      comparisons.push({
        subject,
        judgedAgainst: rival.label,
        arms: [
          { name: rival.label, server: rival, requestsOf: rival },
          ...onBaseline(subject),
          own,
        ],
      })
    }
  }
  return comparisons
}

/**
 * Starts the comparison's servers (one per distinct server id: every arm of the comparisons built
 * here has its own), checks each (a valid request accepted before the load, a forged token refused
 * after it), and loads them in turn.
 */
export async function runComparison(
  comparison: Comparison,
  env: Record<string, string>,
  tokensOf: (scenario: Scenario) => readonly string[],
  settings: InterleaveSettings,
): Promise<ArmResult[]> {
  const servers = new Map<string, RunningServer>()
  try {
    for (const { server } of comparison.arms) {
      if (!servers.has(server.id)) {
        servers.set(server.id, {
          scenario: server,
          process: await startScenarioServer(server, env),
        })
      }
    }
    const arms = comparison.arms.map((arm) => {
      const server = servers.get(arm.server.id)!.process
      const url = new URL(server.url)
      const requests = requestBuffers(url, arm.requestsOf, tokensOf(arm.requestsOf))
      const distinct = arm.requestsOf.tokens === 'distinct'
      return {
        name: arm.name,
        host: url.hostname,
        port: Number(url.port),
        cpuSeconds: () => server.cpuSeconds(),
        // The first token is the acceptance check's: a distinct arm starts after it.
        requests: distinct ? requests.slice(1) : requests,
        distinct,
      }
    })
    return await checkedAround([...servers.values()], tokensOf, () => interleave(arms, settings))
  } finally {
    for (const { process } of servers.values()) await process.stop()
  }
}

/** A started server and the scenario it was started for. */
interface RunningServer {
  scenario: Scenario
  process: ServerProcess
}

/**
 * Runs `measurement` inside every server's checks: a valid request accepted before it, a forged
 * token refused after it (`checkedMeasurement`, nested once per server).
 */
function checkedAround<T>(
  servers: readonly RunningServer[],
  tokensOf: (scenario: Scenario) => readonly string[],
  measurement: () => Promise<T>,
): Promise<T> {
  const checked = servers.reduce<() => Promise<T>>(
    (inner, { scenario, process }) =>
      () =>
        checkedMeasurement(process.url, scenario, tokensOf(scenario), inner),
    measurement,
  )
  return checked()
}

/** The subject's ratio to each other arm, from the slices of the same cycles. */
export function summariseComparison(
  comparison: Comparison,
  results: readonly ArmResult[],
): ComparisonRow[] {
  const subject = results.find((r) => r.name === comparison.subject.label)
  if (subject === undefined) throw new Error(`${comparison.subject.id}: no results of its own arm`)
  return results
    .filter((other) => other !== subject)
    .map((other) => {
      const cycles = Math.min(subject.slices.length, other.slices.length)
      const ratios: number[] = []
      const cpuRatios: number[] = []
      for (let i = 0; i < cycles; i++) {
        const mine = subject.slices[i]!
        const theirs = other.slices[i]!
        ratios.push(mine.rps / theirs.rps)
        if (mine.cpuMicros !== undefined && theirs.cpuMicros !== undefined && mine.cpuMicros > 0)
          cpuRatios.push(theirs.cpuMicros / mine.cpuMicros)
      }
      return {
        subject: comparison.subject,
        against: other.name,
        judged: other.name === comparison.judgedAgainst,
        cycles,
        subjectRps: median(subject.slices.map((s) => s.rps)),
        againstRps: median(other.slices.map((s) => s.rps)),
        ratio: median(ratios),
        quartiles: quartiles(ratios),
        cpuRatio: cpuRatios.length === cycles && cycles > 0 ? median(cpuRatios) : undefined,
        failures: subject.failures + other.failures,
        reused: subject.reused + other.reused,
      }
    })
}

/** Runs the comparisons one after another, logging each row as it comes; returns all rows. */
export async function runInterleavedPass(
  comparisons: readonly Comparison[],
  env: Record<string, string>,
  tokensOf: (scenario: Scenario) => readonly string[],
  settings: InterleaveSettings,
): Promise<ComparisonRow[]> {
  if (comparisons.length === 0) return []
  process.stdout.write(
    `interleaved: ${comparisons.length} comparisons, ${settings.cycles} cycles of ${settings.sliceSeconds} s slices per arm\n`,
  )
  const rows: ComparisonRow[] = []
  for (const comparison of comparisons) {
    const results = await runComparison(comparison, env, tokensOf, settings)
    for (const row of summariseComparison(comparison, results)) {
      rows.push(row)
      const [low, high] = row.quartiles
      const warn =
        (row.failures > 0 ? `  ⚠ ${row.failures} failed` : '') +
        (row.reused > 0 ? `  ⚠ tokens ran out: ${row.reused} re-sent` : '')
      process.stdout.write(
        `  ${comparison.subject.id.padEnd(34)} vs ${row.against.padEnd(28)} ${percent(row.ratio, 1)} (quartiles ${percent(low, 1)}-${percent(high, 1)}; CPU ${row.cpuRatio === undefined ? '?' : percent(row.cpuRatio, 1)})  ${Math.round(row.subjectRps)} vs ${Math.round(row.againstRps)} req/s${warn}\n`,
      )
    }
  }
  return rows
}

/**
 * The fixed-rate pairs, interleaved: the servers of each pair (same node flags) run side by side,
 * and each gets one short paced window per cycle, in alternating order, at the run's fixed rate.
 * Every window has its own short warm-up on the same schedule (new connections), and each server
 * is checked once around all its windows. Returns every window of every scenario, so that their
 * histograms can be pooled like the rounds' (`summariseLatency`).
 */
export async function runInterleavedLatency(
  scenarios: readonly Scenario[],
  env: Record<string, string>,
  tokensOf: (scenario: Scenario) => readonly string[],
  cycles: number,
  window: PacedSettings,
): Promise<Map<string, PacedRun[]>> {
  const runs = new Map<string, PacedRun[]>(scenarios.map((s) => [s.id, []]))
  const flags = (scenario: Scenario): string => (scenario.nodeArgs ?? []).join(' ')
  const pairs = [...new Set(scenarios.map(flags))].map((f) =>
    scenarios.filter((s) => flags(s) === f),
  )
  if (pairs.length > 0) {
    process.stdout.write(
      `interleaved fixed rate: ${pairs.length} pairs, ${cycles} cycles of ${window.seconds} s windows at ${window.rate} req/s (${window.warmupSeconds} s warm-up each)\n`,
    )
  }
  for (const pair of pairs) {
    const servers: RunningServer[] = []
    try {
      for (const scenario of pair) {
        servers.push({ scenario, process: await startScenarioServer(scenario, env) })
      }
      const windows = async (): Promise<void> => {
        for (let cycle = 0; cycle < cycles; cycle++) {
          const order = cycle % 2 === 0 ? servers : [...servers].reverse()
          for (const { scenario, process } of order) {
            runs
              .get(scenario.id)!
              .push(await pacedRun(process, scenario, tokensOf(scenario), window))
          }
        }
      }
      await checkedAround(servers, tokensOf, windows)
    } finally {
      for (const { process } of servers) await process.stop()
    }
    for (const { scenario } of servers) {
      const list = runs.get(scenario.id)!
      const failures = list.reduce((sum, run) => sum + run.failures, 0)
      process.stdout.write(
        `  ${scenario.id.padEnd(52)} ${list.length} windows${failures > 0 ? `  ⚠ ${failures} failed` : ''}\n`,
      )
    }
  }
  return runs
}
