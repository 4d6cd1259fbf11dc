/**
 * The interleaved load generator of `npm run bench`: several servers ("arms") loaded in turn, in
 * short slices, so that a ratio between two of them compares seconds-apart measurements.
 *
 * Why: on a shared virtual machine the speed of the core drifts by ±20 % from minute to minute
 * (docs/performance.md, passes 7-8), and two autocannon runs of the same server 12 s apart have
 * differed by 30 %. A difference of a few percent between two servers is lost in that. Here every
 * arm's server runs for the whole measurement (all pinned to the same core, idle between their
 * slices), and the generator loads one arm at a time for `sliceSeconds`, cycling through the arms
 * and reversing the order every other cycle (A B C, C B A…) so that a steady drift falls on every
 * arm alike. Each cycle gives one ratio per arm, from slices at most a few seconds apart.
 *
 * The load is a closed loop, as autocannon's: each arm has its own keep-alive connections (raw
 * `net` sockets, one request in flight each, answers framed by Content-Length), and during its
 * slice every connection sends its next request as soon as the answer to the last one arrives. At
 * the end of the slice no new request leaves, and the slice is over once every answer is in. The
 * slice's rate counts the answers that arrived within it; its server CPU time per request counts
 * every answer, those of the drain included. Every loop is bounded: a slice stops at its duration
 * plus the request timeout, whatever the server does, and a connection that closes is counted as a
 * failure and reopened at most a few times.
 */
import { connect } from 'node:net'
import { answerCompleted, expectAnswer } from './answer-framing.js'
import type { AnswerReader } from './answer-framing.js'

/** One server loaded in turn with the others. */
export interface Arm {
  /** Names the arm in the results. */
  name: string
  host: string
  port: number
  /** CPU seconds (user + system) the arm's server has used so far. */
  cpuSeconds(): number | undefined
  /**
   * Prepared requests, sent in order and from the start again once all were sent (`distinct` arms
   * count that as reuse: each token was meant to be sent once).
   */
  requests: readonly Buffer[]
  distinct: boolean
}

/** Settings of an interleaved measurement. */
export interface InterleaveSettings {
  /** Cycles: each arm gets one measured slice per cycle. */
  cycles: number
  /** Length of one slice, in seconds. */
  sliceSeconds: number
  /** Unmeasured load per arm before the first cycle, in seconds (in turn, as the slices). */
  warmupSeconds: number
  /** Keep-alive connections per arm. */
  connections: number
  /** Longest wait for one answer (default 5,000 ms). */
  timeoutMs?: number
}

/** One measured slice of one arm. */
export interface Slice {
  /** Answers per second within the slice. */
  rps: number
  /** Server CPU time per answer, in µs (the drain's answers included). */
  cpuMicros: number | undefined
}

/** What one arm measured: a slice per cycle, in cycle order. */
export interface ArmResult {
  name: string
  slices: Slice[]
  /** Non-2xx answers, dropped connections and timeouts over the whole measurement. */
  failures: number
  /** `distinct` arms: requests that sent a token again because the list ran out. */
  reused: number
}

/** The load of one arm: its connections and request cursor, driven one slice at a time. */
class ArmDriver {
  readonly result: ArmResult
  private readonly connections: AnswerReader[] = []
  private next = 0
  private busy = 0
  private reconnects = 0
  private connectedOnce = false
  private sliceEnd = 0
  private inWindow = 0
  private answered = 0
  private open = false
  private drained: () => void = () => undefined

  constructor(
    private readonly arm: Arm,
    private readonly size: number,
    private readonly timeoutMs: number,
  ) {
    this.result = { name: arm.name, slices: [], failures: 0, reused: 0 }
  }

  /** Opens the missing connections (all of them at first), bounded by the reconnect budget. */
  async connect(): Promise<void> {
    const missing = this.size - this.connections.length
    if (missing > 0 && this.connectedOnce) {
      this.reconnects += missing
      if (this.reconnects > this.size * 4) {
        throw new Error(`${this.arm.name}: connections kept closing (${this.reconnects} reopened)`)
      }
    }
    await Promise.all(Array.from({ length: missing }, () => this.openOne()))
    this.connectedOnce = true
  }

  private openOne(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.arm.host, port: this.arm.port, noDelay: true })
      const conn: AnswerReader = {
        socket,
        busy: false,
        pending: undefined,
        expected: -1,
        status: 0,
      }
      const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), this.timeoutMs)
      let connected = false
      socket.once('connect', () => {
        clearTimeout(timer)
        connected = true
        this.connections.push(conn)
        resolve()
      })
      socket.on('data', (chunk: Buffer) => this.onData(conn, chunk))
      socket.on('error', () => undefined) // 'close' follows and does the accounting
      socket.once('close', () => {
        clearTimeout(timer)
        if (!connected) {
          reject(new Error(`${this.arm.name}: cannot connect to ${this.arm.host}:${this.arm.port}`))
          return
        }
        const index = this.connections.indexOf(conn)
        if (index >= 0) this.connections.splice(index, 1)
        if (conn.busy) {
          conn.busy = false
          this.result.failures++
          this.settle()
        }
      })
    })
  }

  /**
   * Loads the arm for `seconds`; records the slice when `measured`. Resolves once every answer is
   * in, or at the deadline (duration plus timeout), when whatever is still out counts as failed.
   */
  async slice(seconds: number, measured: boolean): Promise<void> {
    await this.connect()
    this.inWindow = 0
    this.answered = 0
    const cpuBefore = this.arm.cpuSeconds()
    const start = performance.now()
    this.sliceEnd = start + seconds * 1000
    this.open = true
    const done = new Promise<void>((resolve) => {
      this.drained = resolve
    })
    const closer = setTimeout(() => {
      this.open = false
      this.settle()
    }, seconds * 1000)
    const deadline = setTimeout(
      () => {
        for (const conn of this.connections) {
          if (!conn.busy) continue
          conn.busy = false
          this.result.failures++
          conn.socket.destroy()
        }
        this.open = false
        this.busy = 0
        this.drained()
      },
      seconds * 1000 + this.timeoutMs,
    )
    for (const conn of [...this.connections]) this.send(conn)
    try {
      await done
    } finally {
      clearTimeout(closer)
      clearTimeout(deadline)
      this.open = false
    }
    const cpuAfter = this.arm.cpuSeconds()
    if (!measured) return
    const elapsed = Math.min(performance.now(), this.sliceEnd) - start
    this.result.slices.push({
      rps: this.inWindow / (Math.max(elapsed, 1) / 1000),
      cpuMicros:
        cpuBefore === undefined || cpuAfter === undefined || this.answered === 0
          ? undefined
          : ((cpuAfter - cpuBefore) * 1e6) / this.answered,
    })
  }

  /** Closes every connection. */
  close(): void {
    for (const conn of this.connections) conn.socket.destroy()
  }

  private send(conn: AnswerReader): void {
    const requests = this.arm.requests
    if (this.next >= requests.length && this.arm.distinct) this.result.reused++
    const request = requests[this.next % requests.length]!
    this.next++
    conn.busy = true
    expectAnswer(conn)
    this.busy++
    conn.socket.write(request)
  }

  /** Ends the slice once it is closed and no answer is outstanding. */
  private settle(): void {
    this.busy = this.connections.reduce((count, conn) => count + (conn.busy ? 1 : 0), 0)
    if (!this.open && this.busy === 0) this.drained()
  }

  private complete(conn: AnswerReader, now: number): void {
    conn.busy = false
    conn.pending = undefined
    this.busy--
    this.answered++
    if (conn.status < 200 || conn.status >= 300) this.result.failures++
    else if (now <= this.sliceEnd) this.inWindow++
    if (this.open && now < this.sliceEnd) this.send(conn)
    else if (this.busy === 0) this.settle()
  }

  private onData(conn: AnswerReader, chunk: Buffer): void {
    const now = performance.now()
    if (answerCompleted(conn, chunk)) this.complete(conn, now)
  }
}

/**
 * Loads the arms in turn: a warm-up slice each, then `cycles` cycles of one measured slice per arm,
 * the order reversed every other cycle. Returns every arm's slices in cycle order, so that slice
 * `i` of two arms comes from the same cycle.
 */
export async function interleave(
  arms: readonly Arm[],
  settings: InterleaveSettings,
): Promise<ArmResult[]> {
  const timeoutMs = settings.timeoutMs ?? 5000
  const empty = arms.find((arm) => arm.requests.length === 0)
  if (empty !== undefined) throw new Error(`${empty.name}: no requests to send`)
  const drivers = arms.map((arm) => new ArmDriver(arm, settings.connections, timeoutMs))
  try {
    for (const driver of drivers) await driver.connect()
    if (settings.warmupSeconds > 0) {
      for (const driver of drivers) await driver.slice(settings.warmupSeconds, false)
    }
    for (let cycle = 0; cycle < settings.cycles; cycle++) {
      const order = cycle % 2 === 0 ? drivers : [...drivers].reverse()
      for (const driver of order) await driver.slice(settings.sliceSeconds, true)
    }
  } finally {
    for (const driver of drivers) driver.close()
  }
  return drivers.map((driver) => driver.result)
}
