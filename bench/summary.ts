/**
 * Turns repeated runs into medians and ratios, and checks the targets of issue 6.
 */
import type { RunResult } from './load.js'
import { BARE, departsFromDefaults, joseBaselineId } from './scenarios.js'
import type { Scenario } from './scenarios.js'

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
  vsBare: number | undefined
  vsJose: number | undefined
  /** Median server CPU µs per request. */
  cpuMicros: number | undefined
  /** Capacity ratio from CPU cost: bare Express's CPU µs/request over this row's. */
  cpuVsBare: number | undefined
  /** Same, against the hand-written jose middleware. */
  cpuVsJose: number | undefined
}

/** The fixed-rate latency comparison. */
export interface LatencyRow {
  scenario: Scenario
  rate: number
  rps: number
  p50: number
  p90: number
  p99: number
  p999: number
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

/** The median (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Medians per scenario, in the order of `scenarios`, with ratios to bare Express and to jose. */
export function summarise(scenarios: readonly Scenario[], runs: Map<string, RunResult[]>): Row[] {
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
      return {
        cpuMicros: cpu,
        cpuVsBare:
          cpu === undefined || bareCpu === undefined || scenario === BARE
            ? undefined
            : bareCpu / cpu,
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
        vsBare: bare === undefined || scenario === BARE ? undefined : rps / bare,
        vsJose: jose === undefined || scenario.kind === 'jose' ? undefined : rps / jose,
      }
    })
}

/** Medians of the fixed-rate runs. */
export function summariseLatency(
  scenarios: readonly Scenario[],
  runs: Map<string, RunResult[]>,
  rate: number,
): LatencyRow[] {
  // Each row is compared with bare Express run with the same node flags.
  const flags = (scenario: Scenario): string => (scenario.nodeArgs ?? []).join(' ')
  const bareP99Of = (scenario: Scenario): number | undefined => {
    const bare = scenarios.find((s) => s.kind === 'ceiling' && flags(s) === flags(scenario))
    const bareRuns = bare === undefined ? [] : (runs.get(bare.id) ?? [])
    return bareRuns.length === 0 ? undefined : median(bareRuns.map((r) => r.p99))
  }
  return scenarios
    .filter((scenario) => (runs.get(scenario.id)?.length ?? 0) > 0)
    .map((scenario) => {
      const list = runs.get(scenario.id)!
      const p99 = median(list.map((r) => r.p99))
      const bareP99 = bareP99Of(scenario)
      return {
        scenario,
        rate,
        rps: median(list.map((r) => r.rps)),
        p50: median(list.map((r) => r.p50)),
        p90: median(list.map((r) => r.p90)),
        p99,
        p999: median(list.map((r) => r.p999)),
        failures: list.reduce((sum, r) => sum + r.failures, 0),
        p99VsBare: bareP99 === undefined || scenario.kind === 'ceiling' ? undefined : p99 / bareP99,
      }
    })
}

const percent = (ratio: number): string => `${(ratio * 100).toFixed(0)} %`

/** The throughput and latency targets of issue 6, checked against this run. */
export function checkTargets(rows: readonly Row[], latency: readonly LatencyRow[]): TargetCheck[] {
  const checks: TargetCheck[] = []
  // Targets concern the default configuration: no store round trips, cache on, yielding on.
  const gate = rows.filter(
    (r) => r.scenario.kind === 'jwt-gate' && !departsFromDefaults(r.scenario),
  )
  for (const row of gate.filter(
    (r) => r.scenario.tokens === 'repeated' && r.vsBare !== undefined,
  )) {
    checks.push({
      target: `${row.scenario.id} >= 90 % of bare Express`,
      measured: `${percent(row.vsBare!)} (CPU: ${row.cpuVsBare === undefined ? '?' : percent(row.cpuVsBare)})`,
      met: row.vsBare! >= 0.9,
      metByCpu: row.cpuVsBare === undefined ? undefined : row.cpuVsBare >= 0.9,
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
    checks.push({
      target: `${row.scenario.id} p99 at ${row.rate} req/s within 1.2x of bare Express`,
      measured: `${row.p99VsBare!.toFixed(2)}x`,
      met: row.p99VsBare! <= 1.2,
      metByCpu: undefined,
    })
  }
  return checks
}
