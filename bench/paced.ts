/**
 * The fixed-rate latency run of `npm run bench`: an open-loop, evenly paced load generator.
 *
 * Why not autocannon: its `overallRate` is a per-second quota. Each second its connections send as
 * fast as they can until the quota is met, then idle, so the load arrives in bursts and the latency
 * it reports is mostly queueing behind the burst (p99 swung from 25 to 85 ms between identical
 * runs). That is not a fixed request rate.
 *
 * Here request `i` has the intended send time `start + i / rate`, whatever happened before it
 * (open loop: a slow answer never delays the schedule). Due requests go out on the next idle
 * connection of a keep-alive pool: raw `net` sockets writing one prepared request and reading
 * answers framed by Content-Length, one request in flight per connection (cheaper and steadier than
 * an HTTP client). When every connection is busy, due requests wait in order. Latency runs from the
 * intended send time to the last byte of the answer, so time spent waiting for a connection, or
 * behind a stalled server, counts (coordinated omission corrected, as wrk2 does), and goes into a
 * log-linear histogram in µs (`bench/latency-histogram.ts`).
 *
 * A warm-up on the same schedule precedes the measured window; the server's CPU time is read at the
 * window's edges. After the window, requests already due are still sent and answered, within the
 * per-request timeout (counted from the intended time; a timed-out request is a failure). The
 * achieved rate is the window's requests over the time it took to send them (the window, or longer
 * when the last ones left late): a run more than 2 % behind the target is flagged and its shortfall
 * counted as failures, so it cannot pass as a valid number.
 *
 * Pacing: Node's timers have 1 ms granularity, too coarse at 3,000 req/s, and spinning the event
 * loop with `setImmediate` allocates so fast that the generator's own GC pauses (and any other
 * process on its core) show up as multi-millisecond stalls. So a small worker thread is the clock:
 * it sleeps in `Atomics.wait` until shortly before each intended time, spins the last few
 * microseconds, and wakes the main thread with a message; the main event loop otherwise just waits
 * for I/O. Each wake-up sends every request due by `performance.now()`, and an answer hands its
 * connection to the oldest waiting request at once. Neither thread busy-spins for more than a few
 * microseconds at a time, and every loop is bounded by the request count and by a hard deadline.
 * What the clock itself adds (the send lag, typically tens of µs) is reported with each run.
 */
import { connect } from 'node:net'
import { Worker } from 'node:worker_threads'
import { answerCompleted, expectAnswer } from './answer-framing.js'
import type { AnswerReader } from './answer-framing.js'
import { LatencyHistogram } from './latency-histogram.js'
import { checkedMeasurement, credentialHeaders } from './load.js'
import type { RunResult } from './load.js'
import type { Scenario } from './scenarios.js'

/** Settings of one paced run. */
export interface PacedSettings {
  /** Intended requests per second. */
  rate: number
  /** Measured window, in seconds. */
  seconds: number
  /** Warm-up on the same schedule before the window, in seconds. */
  warmupSeconds: number
  /** Keep-alive connections in the pool. */
  connections: number
  /** Per-request timeout from the intended send time (default 5,000 ms). */
  timeoutMs?: number
}

/** A paced run: the usual result (rps is the achieved rate) plus how well the pacing held. */
export interface PacedRun extends RunResult {
  /** The intended rate, req/s. */
  targetRate: number
  /** True when the achieved rate fell more than 2 % below the target. */
  behind: boolean
  /**
   * 99th percentile of how late requests left compared with their intended time, in ms: waiting
   * for a free connection (a server behind) plus the clock's own lateness.
   */
  sendLagP99: number
  /** 99th percentile of the clock's own lateness (wake-up to intended time), in ms. */
  clockLagP99: number
  /** CPU the generator process used during the window, as a share of one core. */
  generatorCpu: number
  /** Every measured request's latency, so that runs can be pooled (`bench/summary.ts`). */
  latency: LatencyHistogram
}

/** Tolerated shortfall of the achieved rate. */
const BEHIND_TOLERANCE = 0.02
/** The clock's blocking wait ends this early (futex wake-ups run ~60 µs late), then it spins (ms). */
const WAKE_EARLY_MS = 0.06
/** How often busy connections are checked for timeouts, and the drain polled (ms). */
const TIMEOUT_CHECK_MS = 10

/**
 * The clock thread (plain JavaScript, evaluated as a worker). Times are `process.hrtime` in ms, the
 * monotonic clock both threads share. It waits for the schedule, then wakes the main thread at
 * every intended time up to and including the end of the window; when it is late, it wakes the
 * main thread once and skips to the next time still ahead. `stop[0] = 1` (with a notify) ends it.
 */
const CLOCK_SOURCE = `
const { parentPort } = require('node:worker_threads')
const hr = () => { const t = process.hrtime(); return t[0] * 1e3 + t[1] / 1e6 }
parentPort.once('message', ({ control, start, interval, last, early }) => {
  const stop = new Int32Array(control)
  let i = 0
  while (i <= last && Atomics.load(stop, 0) === 0) {
    const due = start + i * interval
    const wait = due - hr()
    if (wait > early) {
      Atomics.wait(stop, 0, 0, wait - early)
      continue
    }
    while (hr() < due) {}
    parentPort.postMessage(i)
    i = Math.max(i + 1, Math.floor((hr() - start) / interval) + 1)
  }
  parentPort.close()
})
parentPort.postMessage('ready')
`

/** `process.hrtime` in ms (what the clock thread counts in). */
function hrMs(): number {
  const [s, ns] = process.hrtime()
  return s * 1e3 + ns / 1e6
}

interface Connection extends AnswerReader {
  alive: boolean
  /** Index of the request in flight. */
  index: number
  intended: number
}

/**
 * The raw requests of a scenario for `url`: one for no token or a repeated token, one per token
 * for `distinct` runs.
 */
export function requestBuffers(
  url: URL,
  scenario: Scenario,
  tokens: readonly string[],
): readonly Buffer[] {
  const build = (token: string | undefined): Buffer => {
    const lines = [`GET ${url.pathname} HTTP/1.1`, `Host: ${url.host}`]
    for (const [name, value] of Object.entries(credentialHeaders(scenario, token))) {
      lines.push(`${name}: ${value}`)
    }
    return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
  }
  if (scenario.tokens === 'none') return [build(undefined)]
  if (scenario.tokens === 'repeated') return [build(tokens[0])]
  return tokens.map((token) => build(token))
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000

/**
 * Checks that the server accepts a valid request, loads it at `settings.rate` for the warm-up and
 * the measured window, checks that it refuses a forged token, and returns the window's latency
 * percentiles (ms, µs precision).
 */
export async function measurePaced(
  server: { url: string; cpuSeconds(): number | undefined },
  scenario: Scenario,
  tokens: readonly string[],
  settings: PacedSettings,
): Promise<PacedRun> {
  return checkedMeasurement(server.url, scenario, tokens, () =>
    pacedRun(server, scenario, tokens, settings),
  )
}

/**
 * The paced run itself, without the server checks of {@link measurePaced}: for callers that check
 * a server once around many runs (the interleaved pass).
 */
export async function pacedRun(
  server: { url: string; cpuSeconds(): number | undefined },
  scenario: Scenario,
  tokens: readonly string[],
  settings: PacedSettings,
): Promise<PacedRun> {
  const url = new URL(server.url)
  const requests = requestBuffers(url, scenario, tokens)
  if (requests.length === 0) throw new Error(`${scenario.id}: no tokens to send`)
  const host = url.hostname
  const port = Number(url.port)
  const rate = settings.rate
  const interval = 1000 / rate
  const timeoutMs = settings.timeoutMs ?? 5000
  const warmupCount = Math.round(settings.warmupSeconds * rate)
  const total = warmupCount + Math.max(1, Math.round(settings.seconds * rate))
  const maxReconnects = Math.max(10, settings.connections * 4)

  const latency = new LatencyHistogram()
  const lag = new LatencyHistogram()
  const clockLag = new LatencyHistogram()
  const control = new Int32Array(new SharedArrayBuffer(4))
  const pool: Connection[] = []
  const idle: Connection[] = []
  let idleHead = 0

  let start = 0
  let windowStart = 0
  let windowEnd = 0
  let windowOpen = false
  let windowClosed = false
  let windowOpenedAt = 0
  let windowClosedAt = 0
  let windowAnswers = 0
  let cpuBefore: number | undefined
  let cpuAfter: number | undefined
  let genCpuBefore = process.cpuUsage()
  let genCpu = { user: 0, system: 0 }
  let sent = 0
  let measuredSent = 0
  let lastMeasuredSendAt = 0
  let busy = 0
  let failures = 0
  let reconnects = 0
  let finished = false
  let fatal: Error | undefined
  /** Why the run stopped before its schedule ended, if it did. */
  let abandoned: string | undefined
  let nextTimeoutCheck = 0
  let hardDeadline = Number.POSITIVE_INFINITY
  let resolveDone: () => void = () => undefined
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve
  })

  const intendedOf = (index: number): number => start + index * interval
  const measured = (index: number): boolean => index >= warmupCount
  const dueAt = (now: number): number =>
    Math.min(total, Math.max(0, Math.floor((now - start) / interval) + 1))

  const finish = (): void => {
    if (finished) return
    finished = true
    resolveDone()
  }
  const drained = (): boolean => sent >= total && busy === 0 && windowClosed

  /** The idle connection waiting longest (first in, first out: the whole pool gets used). */
  const takeIdle = (): Connection | undefined => {
    while (idleHead < idle.length) {
      const conn = idle[idleHead++]!
      if (idleHead > 1024) {
        idle.splice(0, idleHead)
        idleHead = 0
      }
      if (conn.alive && !conn.busy) return conn
    }
    return undefined
  }

  const send = (conn: Connection, index: number): void => {
    conn.busy = true
    conn.index = index
    conn.intended = intendedOf(index)
    expectAnswer(conn)
    busy++
    sent++
    conn.socket.write(requests[index % requests.length]!)
    if (measured(index)) {
      const now = performance.now()
      lag.record((now - conn.intended) * 1000)
      measuredSent++
      lastMeasuredSendAt = now
    }
  }

  /** Sends due requests, oldest first, while idle connections last. */
  const dispatch = (due: number): void => {
    while (sent < due) {
      const conn = takeIdle()
      if (conn === undefined) return
      send(conn, sent)
    }
  }

  const complete = (conn: Connection, now: number): void => {
    conn.busy = false
    conn.pending = undefined
    busy--
    if (windowOpen && !windowClosed) windowAnswers++
    if (measured(conn.index)) {
      if (conn.status >= 200 && conn.status < 300) latency.record((now - conn.intended) * 1000)
      else failures++
    }
    // The connection is free: it takes the oldest request already due, if one waits.
    if (!finished && sent < dueAt(now)) send(conn, sent)
    else idle.push(conn)
    if (drained()) finish()
  }

  const onData = (conn: Connection, chunk: Buffer): void => {
    const now = performance.now()
    if (answerCompleted(conn, chunk)) complete(conn, now)
  }

  const open = (): Promise<Connection> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true })
      const conn: Connection = {
        socket,
        alive: false,
        busy: false,
        index: -1,
        intended: 0,
        pending: undefined,
        expected: -1,
        status: 0,
      }
      const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), timeoutMs)
      socket.once('connect', () => {
        clearTimeout(timer)
        conn.alive = true
        pool.push(conn)
        idle.push(conn)
        resolve(conn)
      })
      socket.on('data', (chunk: Buffer) => onData(conn, chunk))
      socket.on('error', () => undefined) // 'close' follows and does the accounting
      socket.once('close', () => {
        clearTimeout(timer)
        const wasAlive = conn.alive
        conn.alive = false
        if (conn.busy) {
          conn.busy = false
          busy--
          if (measured(conn.index)) failures++
        }
        if (!wasAlive) {
          reject(new Error(`${scenario.id}: cannot connect to ${host}:${port}`))
          return
        }
        if (finished) return
        if (++reconnects > maxReconnects) {
          // Timeouts or a server closing connections: stop here rather than storm it; whatever
          // was not answered counts as failed, so the run is reported as not valid.
          abandoned = `connections kept closing or timing out (${reconnects} reconnects)`
          finish()
          return
        }
        open().catch(() => undefined) // a failed reconnect is accounted for by its own 'close'
        if (drained()) finish()
      })
    })

  const checkTimeouts = (now: number): void => {
    for (const conn of pool) {
      if (conn.alive && conn.busy && now - conn.intended > timeoutMs) conn.socket.destroy()
    }
    // Requests due so long ago that they timed out before any connection was free.
    const due = dueAt(now)
    while (sent < due && now - intendedOf(sent) > timeoutMs) {
      if (measured(sent)) failures++
      sent++
    }
  }

  /**
   * One wake-up, from the clock thread (`woke`: the index it woke for) or from the 10 ms poll:
   * window edges, sends, timeouts.
   */
  const tick = (woke?: number): void => {
    if (finished) return
    const now = performance.now()
    if (woke !== undefined && woke < total && measured(woke)) {
      clockLag.record((now - intendedOf(woke)) * 1000)
    }
    if (!windowOpen && now >= windowStart) {
      windowOpen = true
      windowOpenedAt = now
      cpuBefore = server.cpuSeconds()
      genCpuBefore = process.cpuUsage()
    }
    if (windowOpen && !windowClosed && now >= windowEnd) {
      windowClosed = true
      windowClosedAt = now
      cpuAfter = server.cpuSeconds()
      genCpu = process.cpuUsage(genCpuBefore)
      hardDeadline = now + timeoutMs + 1000
    }
    dispatch(dueAt(now))
    if (now >= nextTimeoutCheck) {
      checkTimeouts(now)
      nextTimeoutCheck = now + TIMEOUT_CHECK_MS
    }
    if (drained() || now > hardDeadline) finish()
  }

  const clock = new Worker(CLOCK_SOURCE, { eval: true, execArgv: [] })
  clock.on('error', (error: Error) => {
    fatal = error
    finish()
  })
  let poll: NodeJS.Timeout | undefined
  let overall: NodeJS.Timeout | undefined
  try {
    const ready = new Promise<void>((resolve, reject) => {
      clock.once('message', () => resolve())
      clock.once('exit', () => reject(new Error('the clock thread did not start')))
    })
    await Promise.all([ready, ...Array.from({ length: settings.connections }, () => open())])
    clock.on('message', (woke: number) => tick(woke))
    start = performance.now() + 5
    windowStart = intendedOf(warmupCount)
    windowEnd = intendedOf(total)
    clock.postMessage({
      control: control.buffer,
      start: start + (hrMs() - performance.now()),
      interval,
      last: total,
      early: WAKE_EARLY_MS,
    })
    // Timeouts and the drain after the window; and a safety net should everything stall.
    poll = setInterval(() => tick(), TIMEOUT_CHECK_MS)
    overall = setTimeout(finish, windowEnd - start + timeoutMs + 5000)
    await done
  } finally {
    finished = true
    clearInterval(poll)
    clearTimeout(overall)
    Atomics.store(control, 0, 1)
    Atomics.notify(control, 0)
    await clock.terminate()
    for (const conn of pool) conn.socket.destroy()
  }
  if (fatal !== undefined) throw fatal
  const end = performance.now()
  if (!windowOpen) windowOpenedAt = end
  if (!windowClosed) {
    // Stopped early: the window ends now, and the run counts as behind.
    windowClosedAt = end
    cpuBefore ??= server.cpuSeconds()
    cpuAfter = server.cpuSeconds()
    genCpu = process.cpuUsage(genCpuBefore)
  }
  // Whatever was never sent, or never answered, by the deadline is a failure.
  for (let index = sent; index < total; index++) if (measured(index)) failures++
  for (const conn of pool) if (conn.busy && measured(conn.index)) failures++

  const windowMs = Math.max(1e-3, windowClosedAt - windowOpenedAt)
  // The window's requests over the time they took to leave: the window itself, or longer when the
  // last ones were sent late (a backlog from the warm-up cannot push it above the target).
  const measuredCount = total - warmupCount
  const sendSpanMs = Math.max(windowEnd, lastMeasuredSendAt) - windowStart
  const achieved = measuredSent / (Math.max(1e-3, sendSpanMs) / 1000)
  const behind = !windowClosed || achieved < rate * (1 - BEHIND_TOLERANCE)
  if (behind) {
    // Requests not sent on schedule (unsent ones are already among the failures: no double count).
    const shortfall = measuredCount - Math.round((achieved * (windowEnd - windowStart)) / 1000)
    failures = Math.max(failures, shortfall, 1)
    process.stderr.write(
      `  ⚠ ${scenario.id}: achieved ${achieved.toFixed(0)} of ${rate} req/s (more than ${BEHIND_TOLERANCE * 100} % behind${abandoned === undefined ? '' : `; stopped: ${abandoned}`}); the run is not valid\n`,
    )
  }
  const pct = (p: number): number =>
    latency.count === 0 ? 0 : round3(latency.percentile(p) / 1000)
  return {
    rps: achieved,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    p999: pct(99.9),
    requests: latency.count,
    failures,
    tokensReused: 0,
    cpuMicros:
      cpuBefore === undefined || cpuAfter === undefined || windowAnswers === 0
        ? undefined
        : ((cpuAfter - cpuBefore) * 1e6) / windowAnswers,
    targetRate: rate,
    behind,
    sendLagP99: lag.count === 0 ? 0 : round3(lag.percentile(99) / 1000),
    clockLagP99: clockLag.count === 0 ? 0 : round3(clockLag.percentile(99) / 1000),
    generatorCpu: windowMs > 1 ? (genCpu.user + genCpu.system) / 1000 / windowMs : 0,
    latency,
  }
}
