/**
 * One measured throughput run: a sanity check that the server really authenticates (a good token
 * passes, a forged one is refused), a warm-up, then autocannon as fast as it can for a fixed
 * duration. Every loop here is bounded by autocannon's duration and request timeout.
 *
 * The fixed-rate latency run does not use autocannon: its `overallRate` is a per-second quota (each
 * second the connections send as fast as they can until the quota is met, then idle), so the load
 * is bursty and its latency measures queueing behind the burst. That run uses the evenly paced,
 * open-loop generator of `bench/paced.ts`, which shares the sanity check and headers below.
 */
import autocannon from 'autocannon'
import type { Request as LoadRequest, Result } from 'autocannon'
import type { Scenario } from './scenarios.js'

/** What one run measured. */
export interface RunResult {
  rps: number
  p50: number
  p90: number
  p99: number
  p999: number
  requests: number
  /** Non-2xx answers, errors and timeouts: a run with any of them is not a valid measurement. */
  failures: number
  /**
   * Server CPU time (user + system) per request, in µs: unlike req/s, hardly affected by other
   * processes competing for the core, so it is the fairer comparison on a shared machine.
   */
  cpuMicros: number | undefined
  /**
   * `distinct` runs: requests that had to send a token again because the pool ran out (then a
   * cache could have helped; 0 in a valid run).
   */
  tokensReused: number
}

/** Load settings. */
export interface LoadSettings {
  seconds: number
  warmupSeconds: number
  connections: number
}

/** The headers that carry `token` the way the scenario sends it (none without a token). */
export function credentialHeaders(
  scenario: Scenario,
  token: string | undefined,
): Record<string, string> {
  if (token === undefined) return {}
  return scenario.transport === 'cookie'
    ? { cookie: `access=${token}` }
    : { authorization: `Bearer ${token}` }
}

/** Fails unless a valid request gets 200. */
async function checkAccepted(
  url: string,
  scenario: Scenario,
  token: string | undefined,
): Promise<void> {
  const ok = await fetch(url, { headers: credentialHeaders(scenario, token) })
  await ok.text()
  if (ok.status !== 200) throw new Error(`${scenario.id}: valid request got ${ok.status}`)
}

/** Fails unless a forged token gets 401: a server that checks nothing fails the run. */
async function checkRefusesForgery(
  url: string,
  scenario: Scenario,
  token: string | undefined,
): Promise<void> {
  if (token === undefined) return
  const [header, payload] = token.split('.')
  const forged = `${header}.${payload}.${Buffer.from('forged signature').toString('base64url')}`
  const refused = await fetch(url, { headers: credentialHeaders(scenario, forged) })
  await refused.text()
  if (refused.status !== 401) throw new Error(`${scenario.id}: forged token got ${refused.status}`)
}

/**
 * Runs `measurement` between the two server checks: a valid request must get 200 before it, and a
 * forged token 401 after it. The forgery check comes after rather than before: a 401 sends the
 * server down code paths (error, challenge header) that the measured load never takes, and the JIT
 * would spend the first seconds measured re-optimising Node's HTTP code for both, which the bare
 * Express row (no token) never pays.
 */
export async function checkedMeasurement<T>(
  url: string,
  scenario: Scenario,
  tokens: readonly string[],
  measurement: () => Promise<T>,
): Promise<T> {
  const sample = scenario.tokens === 'none' ? undefined : tokens[0]
  await checkAccepted(url, scenario, sample)
  const result = await measurement()
  await checkRefusesForgery(url, scenario, sample)
  return result
}

/**
 * Where a run is in its token list. `distinct` runs carry it from the warm-up into the measurement
 * (starting after the token of the acceptance check), so that no token is sent twice while the pool lasts.
 */
interface TokenCursor {
  next: number
}

function requests(
  scenario: Scenario,
  tokens: readonly string[],
  cursor: TokenCursor,
): LoadRequest[] | undefined {
  if (scenario.tokens !== 'distinct' && scenario.tokens !== 'cycling') return undefined
  return [
    {
      method: 'GET',
      path: '/',
      setupRequest(request) {
        const token = tokens[cursor.next++ % tokens.length]
        return {
          ...request,
          headers: { ...request.headers, ...credentialHeaders(scenario, token) },
        }
      },
    },
  ]
}

async function cannon(
  url: string,
  scenario: Scenario,
  tokens: readonly string[],
  seconds: number,
  connections: number,
  cursor: TokenCursor,
): Promise<Result> {
  const repeated = scenario.tokens === 'repeated' ? tokens[0] : undefined
  const list = requests(scenario, tokens, cursor)
  return autocannon({
    url,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    headers: credentialHeaders(scenario, repeated),
    ...(list === undefined ? {} : { requests: list }),
  })
}

/** Checks the server (see {@link checkedMeasurement}), warms it up, then measures it. */
export async function measure(
  server: { url: string; cpuSeconds(): number | undefined },
  scenario: Scenario,
  tokens: readonly string[],
  settings: LoadSettings,
): Promise<RunResult> {
  return checkedMeasurement(server.url, scenario, tokens, () =>
    warmUpAndMeasure(server, scenario, tokens, settings),
  )
}

async function warmUpAndMeasure(
  server: { url: string; cpuSeconds(): number | undefined },
  scenario: Scenario,
  tokens: readonly string[],
  settings: LoadSettings,
): Promise<RunResult> {
  const url = server.url
  const cursor: TokenCursor = { next: 1 }
  if (settings.warmupSeconds > 0) {
    await cannon(url, scenario, tokens, settings.warmupSeconds, settings.connections, cursor)
  }
  if (scenario.tokens === 'cycling') cursor.next = 0
  const cpuBefore = server.cpuSeconds()
  const result = await cannon(url, scenario, tokens, settings.seconds, settings.connections, cursor)
  const cpuAfter = server.cpuSeconds()
  const cpuMicros =
    cpuBefore === undefined || cpuAfter === undefined || result.requests.total === 0
      ? undefined
      : ((cpuAfter - cpuBefore) * 1e6) / result.requests.total
  return {
    cpuMicros,
    rps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
    tokensReused: scenario.tokens === 'distinct' ? Math.max(0, cursor.next - tokens.length) : 0,
  }
}
