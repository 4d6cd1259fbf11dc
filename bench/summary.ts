/**
 * Turns repeated runs into medians and ratios, and checks the targets of issue 6.
 */
import type { ComparisonRow } from './interleaved-pass.js'
import { LatencyHistogram } from './latency-histogram.js'
import { median } from './statistics.js'
import type { RunResult } from './load.js'
import type { PacedRun } from './paced.js'
import { BARE_NO_TOKEN } from './interleaved-pass.js'
import { BARE, departsFromDefaults, joseBaselineId } from './scenarios.js'
import type { Scenario } from './scenarios.js'
import { percent } from './format.js'

/** One scenario over all its runs. */
export interface Row {
  scenario: Scenario
  rps: number
  p50: number
  p99: number
  /** Requests per second of every run, in run order. */
  runs: number[]
  failures: number
  /** Requests of `distinct` runs that sent a token again (the pool ran out); 0 when valid. */
  tokensReused: number
  /**
   * req/s over bare Express's. For a paired row (see `pairedWithBare`), the median of each round's
   * ratio to the bare Express run beside it; otherwise the ratio of the medians.
   */
  vsBare: number | undefined
  /** Whether this row's runs each had a bare Express run of their own beside them. */
  pairedWithBare: boolean
  vsJose: number | undefined
  /** Median server CPU µs per request. */
  cpuMicros: number | undefined
  /** Capacity ratio from CPU cost: bare Express's CPU µs/request over this row's. */
  cpuVsBare: number | undefined
  /** Same, against the hand-written jose middleware. */
  cpuVsJose: number | undefined
}

/**
 * The fixed-rate latency comparison. Percentiles are those of every measured request of every
 * round together (the runs' histograms merged), not medians of each run's percentiles: at 800
 * req/s for 10 s, a run's p99 is its 80th slowest request, so where a handful of garbage
 * collections happened to fall decided it, and a median of five such values moved with them.
 */
export interface LatencyRow {
  scenario: Scenario
  rate: number
  /** Median achieved rate of the runs. */
  rps: number
  /** Requests measured, all rounds together. */
  requests: number
  p50: number
  p90: number
  p99: number
  p999: number
  /** Each round's own p99 (ms), in run order. */
  p99Runs: number[]
  failures: number
  p99VsBare: number | undefined
}

/** One target of the issue and whether this run met it. */
export interface TargetCheck {
  target: string
  measured: string
  met: boolean
  /** The same target judged by server CPU cost per request (robust on a shared machine). */
  metByCpu: boolean | undefined
}

/**
 * Medians per scenario, in the order of `scenarios`, with ratios to bare Express and to jose.
 * `bareBeside` holds, for paired scenarios, the bare Express run made beside each of their runs
 * (same index, same round).
 */
export function summarise(
  scenarios: readonly Scenario[],
  runs: Map<string, RunResult[]>,
  bareBeside: ReadonlyMap<string, readonly RunResult[]> = new Map(),
): Row[] {
  const rpsOf = (id: string | undefined): number | undefined => {
    const list = id === undefined ? undefined : runs.get(id)
    return list === undefined || list.length === 0 ? undefined : median(list.map((r) => r.rps))
  }
  const cpuOf = (id: string | undefined): number | undefined => {
    const list = (id === undefined ? undefined : runs.get(id))
      ?.map((r) => r.cpuMicros)
      .filter((c): c is number => c !== undefined)
    return list === undefined || list.length === 0 ? undefined : median(list)
  }
  const bare = rpsOf(BARE.id)
  const bareCpu = cpuOf(BARE.id)
  return scenarios
    .filter((scenario) => (runs.get(scenario.id)?.length ?? 0) > 0)
    .map((scenario) => {
      const list = runs.get(scenario.id)!
      const rps = median(list.map((r) => r.rps))
      const jose = rpsOf(joseBaselineId(scenario))
      const cpu = cpuOf(scenario.id)
      const joseCpu = cpuOf(joseBaselineId(scenario))
      // A paired row is judged by its paired ratios only, never by the medians' ratio.
      const paired = pairedRatios(list, bareBeside.get(scenario.id))
      const mediansVsBare = bare === undefined || scenario === BARE ? undefined : rps / bare
      const mediansCpuVsBare =
        cpu === undefined || bareCpu === undefined || scenario === BARE ? undefined : bareCpu / cpu
      return {
        cpuMicros: cpu,
        cpuVsBare: paired === undefined ? mediansCpuVsBare : paired.cpu,
        cpuVsJose:
          cpu === undefined || joseCpu === undefined || scenario.kind === 'jose'
            ? undefined
            : joseCpu / cpu,
        scenario,
        rps,
        p50: median(list.map((r) => r.p50)),
        p99: median(list.map((r) => r.p99)),
        runs: list.map((r) => r.rps),
        failures: list.reduce((sum, r) => sum + r.failures, 0),
        tokensReused: list.reduce((sum, r) => sum + r.tokensReused, 0),
        vsBare: paired === undefined ? mediansVsBare : paired.rps,
        pairedWithBare: paired !== undefined,
        vsJose: jose === undefined || scenario.kind === 'jose' ? undefined : rps / jose,
      }
    })
}

/**
 * Median ratios of paired runs: run i of a row against bare Express run i beside it. Undefined when
 * the row was not paired (or the lists do not line up).
 */
function pairedRatios(
  runs: readonly RunResult[],
  beside: readonly RunResult[] | undefined,
): { rps: number; cpu: number | undefined } | undefined {
  if (beside === undefined || beside.length !== runs.length || runs.length === 0) return undefined
  const cpuRatios: number[] = []
  runs.forEach((run, i) => {
    const bareCpu = beside[i]!.cpuMicros
    if (run.cpuMicros !== undefined && bareCpu !== undefined)
      cpuRatios.push(bareCpu / run.cpuMicros)
  })
  return {
    rps: median(runs.map((run, i) => run.rps / beside[i]!.rps)),
    cpu: cpuRatios.length === runs.length ? median(cpuRatios) : undefined,
  }
}

/** All runs' latency histograms merged into one. */
function pooled(runs: readonly PacedRun[]): LatencyHistogram {
  const all = new LatencyHistogram()
  for (const run of runs) all.merge(run.latency)
  return all
}

/** Pooled percentiles of the fixed-rate runs (see {@link LatencyRow}). */
export function summariseLatency(
  scenarios: readonly Scenario[],
  runs: Map<string, PacedRun[]>,
  rate: number,
): LatencyRow[] {
  const ms = (histogram: LatencyHistogram, p: number): number =>
    histogram.count === 0 ? 0 : histogram.percentile(p) / 1000
  const histograms = new Map(
    scenarios.map((scenario) => [scenario.id, pooled(runs.get(scenario.id) ?? [])]),
  )
  // Each row is compared with bare Express run with the same node flags.
  const flags = (scenario: Scenario): string => (scenario.nodeArgs ?? []).join(' ')
  const bareP99Of = (scenario: Scenario): number | undefined => {
    const bare = scenarios.find((s) => s.kind === 'ceiling' && flags(s) === flags(scenario))
    const histogram = bare === undefined ? undefined : histograms.get(bare.id)
    return histogram === undefined || histogram.count === 0 ? undefined : ms(histogram, 99)
  }
  return scenarios
    .filter((scenario) => (runs.get(scenario.id)?.length ?? 0) > 0)
    .map((scenario) => {
      const list = runs.get(scenario.id)!
      const histogram = histograms.get(scenario.id)!
      const p99 = ms(histogram, 99)
      const bareP99 = bareP99Of(scenario)
      return {
        scenario,
        rate,
        rps: median(list.map((r) => r.rps)),
        requests: histogram.count,
        p50: ms(histogram, 50),
        p90: ms(histogram, 90),
        p99,
        p999: ms(histogram, 99.9),
        p99Runs: list.map((r) => r.p99),
        failures: list.reduce((sum, r) => sum + r.failures, 0),
        p99VsBare: bareP99 === undefined || scenario.kind === 'ceiling' ? undefined : p99 / bareP99,
      }
    })
}

/**
 * The throughput and latency targets of issue 6, checked against this run. Where the interleaved
 * pass compared a row (`interleaved`), the target is judged by that comparison, whose ratios come
 * from slices seconds apart; the autocannon figures are quoted beside it.
 */
export function checkTargets(
  rows: readonly Row[],
  latency: readonly LatencyRow[],
  interleaved: readonly ComparisonRow[] = [],
  latencyInterleaved: readonly LatencyRow[] = [],
): TargetCheck[] {
  const checks: TargetCheck[] = []
  const judged = (subject: Scenario): ComparisonRow | undefined =>
    interleaved.find((c) => c.judged && c.subject.id === subject.id && c.failures + c.reused === 0)
  // Targets concern the default configuration: no store round trips, cache on, yielding on.
  const gate = rows.filter(
    (r) => r.scenario.kind === 'jwt-gate' && !departsFromDefaults(r.scenario),
  )
  for (const row of gate.filter(
    (r) => r.scenario.tokens === 'repeated' && r.vsBare !== undefined,
  )) {
    const autocannon = `${percent(row.vsBare!)} (CPU: ${row.cpuVsBare === undefined ? '?' : percent(row.cpuVsBare)})${row.pairedWithBare ? ', paired' : ''}`
    const close = judged(row.scenario)
    if (close === undefined) {
      checks.push({
        target: `${row.scenario.id} >= 90 % of bare Express`,
        measured: autocannon,
        met: row.vsBare! >= 0.9,
        metByCpu: row.cpuVsBare === undefined ? undefined : row.cpuVsBare >= 0.9,
      })
      continue
    }
    const noToken = interleaved.find(
      (c) => c.subject.id === row.scenario.id && c.against === BARE_NO_TOKEN,
    )
    checks.push({
      target: `${row.scenario.id} >= 90 % of bare Express`,
      measured: `${percent(close.ratio, 1)} of bare Express given the same request, interleaved (CPU: ${close.cpuRatio === undefined ? '?' : percent(close.cpuRatio, 1)}; no token: ${noToken === undefined ? '?' : percent(noToken.ratio, 1)}; autocannon: ${autocannon})`,
      met: close.ratio >= 0.9,
      metByCpu: close.cpuRatio === undefined ? undefined : close.cpuRatio >= 0.9,
    })
  }
  for (const row of gate.filter((r) => r.scenario.tokens === 'distinct')) {
    if (row.vsJose !== undefined) {
      checks.push({
        target: `${row.scenario.id} >= 95 % of hand-written jose`,
        measured: `${percent(row.vsJose)} (CPU: ${row.cpuVsJose === undefined ? '?' : percent(row.cpuVsJose)})`,
        met: row.vsJose >= 0.95,
        metByCpu: row.cpuVsJose === undefined ? undefined : row.cpuVsJose >= 0.95,
      })
    }
    const rivals = rows.filter(
      (r) =>
        (r.scenario.server === 'express-jwt' || r.scenario.server === 'passport-jwt') &&
        r.scenario.alg === row.scenario.alg &&
        r.scenario.tokens === 'distinct',
    )
    for (const rival of rivals) {
      const close = judged(row.scenario)
      if (close !== undefined && close.against === rival.scenario.label) {
        checks.push({
          target: `${row.scenario.id} ahead of ${rival.scenario.id}`,
          measured: `${percent(close.ratio, 1)} of its req/s, interleaved (CPU: ${close.cpuRatio === undefined ? '?' : percent(close.cpuRatio, 1)}; autocannon: ${Math.round(row.rps)} vs ${Math.round(rival.rps)} req/s)`,
          met: close.ratio > 1,
          metByCpu: close.cpuRatio === undefined ? undefined : close.cpuRatio > 1,
        })
        continue
      }
      checks.push({
        target: `${row.scenario.id} ahead of ${rival.scenario.id}`,
        measured: `${Math.round(row.rps)} vs ${Math.round(rival.rps)} req/s (CPU ${row.cpuMicros?.toFixed(0) ?? '?'} vs ${rival.cpuMicros?.toFixed(0) ?? '?'} µs)`,
        met: row.rps > rival.rps,
        metByCpu:
          row.cpuMicros === undefined || rival.cpuMicros === undefined
            ? undefined
            : row.cpuMicros < rival.cpuMicros,
      })
    }
  }
  for (const row of latency.filter((r) => r.p99VsBare !== undefined)) {
    const target = `${row.scenario.id} p99 at ${row.rate} req/s within 1.2x of bare Express`
    const close = latencyInterleaved.find(
      (r) => r.scenario.id === row.scenario.id && r.p99VsBare !== undefined && r.failures === 0,
    )
    if (close !== undefined) {
      checks.push({
        target,
        measured: `${close.p99VsBare!.toFixed(2)}x, interleaved (rounds: ${row.p99VsBare!.toFixed(2)}x)`,
        met: close.p99VsBare! <= 1.2,
        metByCpu: undefined,
      })
      continue
    }
    checks.push({
      target,
      measured: `${row.p99VsBare!.toFixed(2)}x`,
      met: row.p99VsBare! <= 1.2,
      metByCpu: undefined,
    })
  }
  return checks
}
