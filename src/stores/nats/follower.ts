/**
 * Follows the revocation stream: on every (re)connection it replays the whole stream from its
 * first message through an ordered consumer, and reports itself caught up once it has applied
 * every message the stream held when the replay began. Between a disconnection and the end of
 * the next replay it is not caught up, and the store answers nothing (fails closed).
 *
 * Replaying everything rather than resuming is deliberate: applying an event twice changes
 * nothing (denials and marks only move forward), and a replay needs no state that an outage,
 * a restarted server or a recreated stream could make wrong.
 *
 * @module
 */
import { ConsumerEvents, Events } from 'nats'
import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats'
import { AuthConfigError } from '../../errors.js'

/** What the follower needs from its store. */
export interface FollowerOptions {
  connection: NatsConnection
  stream: string
  subject: string
  /** Seconds the stream must keep each event at least. */
  maxAgeSeconds: number
  /** Applies one message; throws when the store cannot hold it (then the follower stops). */
  apply(message: JsMsg): Promise<void>
  /** Called when a replay starts: nothing applied before is lost, but events may be missing. */
  onResync(): void
}

/** The follower's state, read by the store before every answer. */
export interface Follower {
  /** True once the current replay reached the stream's end, until the next disconnection. */
  readonly caughtUp: boolean
  /** Why the follower cannot catch up (a stream of the wrong configuration), if so. */
  readonly failure: Error | undefined
  /** Resolves once caught up the first time; rejects on a configuration failure. */
  readonly ready: Promise<void>
  stop(): void
}

const NANOS_PER_SECOND = 1_000_000_000
const RETRY_MS = 250

/** Creates the stream if absent; refuses one that keeps events for less than `maxAgeSeconds`. */
async function ensureStream(options: FollowerOptions): Promise<{ last: number; count: number }> {
  const jsm = await options.connection.jetstreamManager()
  const wanted = options.maxAgeSeconds * NANOS_PER_SECOND
  let info = await jsm.streams.info(options.stream).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === '404') return undefined
    throw error
  })
  info ??= await jsm.streams.add({
    name: options.stream,
    subjects: [options.subject],
    max_age: wanted,
  })
  const { max_age: maxAge, subjects } = info.config
  if ((maxAge !== 0 && maxAge < wanted) || !(subjects ?? []).includes(options.subject))
    throw new AuthConfigError(
      'maxLifetime',
      `stream ${options.stream} must capture ${options.subject} and keep events at least ` +
        `${options.maxAgeSeconds} s (it keeps them ${maxAge / NANOS_PER_SECOND} s)`,
    )
  return { last: info.state.last_seq, count: info.state.messages }
}

/** Follows one stream; see the module description. */
class StreamFollower implements Follower {
  private generation = 0
  private reached = false
  private stopped = false
  failure: Error | undefined
  private messages: ConsumerMessages | undefined
  private retry: NodeJS.Timeout | undefined
  private settle: { resolve(): void; reject(error: Error): void } | undefined
  readonly ready = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }))

  constructor(private readonly options: FollowerOptions) {
    this.ready.catch(() => undefined)
    void this.watch()
    this.resync()
  }

  get caughtUp(): boolean {
    const { stopped, failure, reached } = this
    return reached && !stopped && failure === undefined && !this.options.connection.isClosed()
  }

  stop(): void {
    this.stopped = true
    this.interrupt()
  }

  /** Forgets the current replay: nothing is answered until the next one reaches the end. */
  private interrupt(): number {
    this.reached = false
    this.messages?.stop()
    this.messages = undefined
    clearTimeout(this.retry)
    return ++this.generation
  }

  private reachEnd(): void {
    this.reached = true
    this.settle?.resolve()
  }

  /** Disconnected: answer nothing; reconnected: replay. */
  private async watch(): Promise<void> {
    for await (const status of this.options.connection.status()) {
      if (status.type === Events.Disconnect) this.interrupt()
      else if (status.type === Events.Reconnect) this.resync()
    }
  }

  private resync(): void {
    const current = this.interrupt()
    if (this.stopped || this.options.connection.isClosed()) return
    this.options.onResync()
    this.replay(current).catch((error: unknown) => {
      if (current !== this.generation || this.stopped) return
      if (error instanceof AuthConfigError) {
        this.failure = error
        this.settle?.reject(error)
        return
      }
      // The server may still be starting JetStream: try again, while answering nothing.
      this.retry = setTimeout(() => this.resync(), RETRY_MS)
      this.retry.unref()
    })
  }

  /**
   * Missed heartbeats while the connection is up (JetStream gone, the consumer lost): events may
   * be missing, so answer nothing and replay.
   */
  private async watchConsumer(incoming: ConsumerMessages, current: number): Promise<void> {
    for await (const status of await incoming.status()) {
      if (current !== this.generation) return
      if (status.type === ConsumerEvents.HeartbeatsMissed) return this.resync()
    }
  }

  private async replay(current: number): Promise<void> {
    const { options } = this
    const { last, count } = await ensureStream(options)
    const consumer = await options.connection.jetstream().consumers.get(options.stream)
    const incoming = await consumer.consume()
    if (current !== this.generation) return void incoming.stop()
    this.messages = incoming
    void this.watchConsumer(incoming, current)
    if (count === 0) this.reachEnd()
    for await (const message of incoming) {
      if (current !== this.generation) break
      await options.apply(message)
      if (message.seq >= last || message.info.pending === 0) this.reachEnd()
    }
    // The consumer ended without being stopped by us: replay again rather than go quiet.
    if (current === this.generation) throw new Error('nats revocation stream consumer ended')
  }
}

/** Starts following; see the module description. */
export function follow(options: FollowerOptions): Follower {
  return new StreamFollower(options)
}
