/**
 * PostgreSQL LISTEN/NOTIFY as an {@link InvalidationSource}.
 *
 * LISTEN needs a connection of its own, so the listener holds one client of the pool for as long
 * as anyone is subscribed. A health check (`SELECT 1` every `healthCheckInterval` ms) notices a
 * connection that died silently. When the connection is lost or fails its check, the listener
 * reports `all` (notifications may have been missed), is not `connected` (caches keep nothing),
 * reconnects with a capped backoff, and reports `all` again once listening.
 *
 * @module
 */
import type { Notification, Pool, PoolClient } from 'pg'
import type { InvalidationSource } from '../invalidation.js'
import { parseInvalidation } from '../invalidation.js'
import { quoteIdentifier } from '../sql-identifier.js'
import { asError } from '../settle.js'
import { createSubscribers, probeWithin, sourceOver } from '../subscribers.js'
import type { SourceConnection, Subscribers } from '../subscribers.js'

/** A LISTEN/NOTIFY source that can be stopped. */
export interface PostgresListener extends InvalidationSource {
  /** Stops listening and returns the connection to the pool. Idempotent. */
  close(): Promise<void>
}

/** Options of {@link createPostgresListener}. */
export interface PostgresListenerOptions {
  /** The NOTIFY channel, a plain identifier. */
  channel: string
  /** First reconnect delay in ms, doubled up to `maxRetryDelay`. @defaultValue 100 */
  retryDelay?: number
  /** @defaultValue 2000 */
  maxRetryDelay?: number
  /** Ms between health checks of the listen connection; 0 turns them off. @defaultValue 2000 */
  healthCheckInterval?: number
  /** Ms a health check may take before the connection counts as lost. @defaultValue 1000 */
  healthCheckTimeout?: number
}

/** Reconnect and health-check timing, defaults applied. */
interface Timing {
  firstDelay: number
  maxDelay: number
  checkInterval: number
  checkTimeout: number
}

/**
 * The listen connection's life cycle: connect and LISTEN, health checks, loss, capped-backoff
 * reconnects, stop. Every state change is one method; `client` is set only while listening.
 */
class ListenConnection implements SourceConnection {
  private client: PoolClient | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private checker: NodeJS.Timeout | undefined
  private delay: number
  private running = false
  private connecting = false
  private checking = false
  private readonly listenSql: string

  constructor(
    private readonly pool: Pool,
    private readonly channel: string,
    private readonly timing: Timing,
    private readonly subscribers: Subscribers,
  ) {
    this.delay = timing.firstDelay
    // Built now, so that a bad channel name is a start-up error rather than a reconnect loop.
    this.listenSql = `LISTEN ${quoteIdentifier('channel', channel)}`
  }

  get connected(): boolean {
    return this.client !== undefined
  }

  start(): void {
    if (this.running) return
    this.running = true
    void this.connect()
  }

  stop(): void {
    this.running = false
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    const held = this.client
    this.client = undefined
    if (held !== undefined) this.release(held, undefined)
  }

  private readonly onNotification = (message: Notification): void => {
    if (message.channel === this.channel)
      this.subscribers.emit(parseInvalidation(message.payload ?? ''))
  }

  private readonly onLost = (error: Error): void => {
    const held = this.client
    if (held === undefined) return
    this.client = undefined
    this.release(held, error)
    this.subscribers.emit({ type: 'all' })
    this.scheduleReconnect()
  }

  private readonly onEnd = (): void => this.onLost(new Error('listen connection ended'))

  private async connect(): Promise<void> {
    if (!this.running || this.connecting || this.client !== undefined) return
    this.connecting = true
    let held: PoolClient | undefined
    try {
      held = await this.pool.connect()
      held.on('notification', this.onNotification)
      held.on('error', this.onLost)
      held.on('end', this.onEnd)
      await held.query(this.listenSql)
      if (this.running) this.listen(held)
      else this.release(held, undefined)
    } catch (error) {
      if (held !== undefined) this.release(held, asError(error))
      this.scheduleReconnect()
    } finally {
      this.connecting = false
    }
  }

  /** The connection now listens: notifications may have been missed until now, so `all`. */
  private listen(held: PoolClient): void {
    this.client = held
    this.delay = this.timing.firstDelay
    if (this.timing.checkInterval > 0) {
      this.checker = setInterval(() => this.check(held), this.timing.checkInterval)
      this.checker.unref()
    }
    this.subscribers.emit({ type: 'all' })
  }

  private scheduleReconnect(): void {
    if (!this.running || this.retryTimer !== undefined) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      void this.connect()
    }, this.delay)
    this.retryTimer.unref()
    this.delay = Math.min(this.delay * 2, this.timing.maxDelay)
  }

  /** `SELECT 1` within the timeout, or the connection counts as lost. */
  private check(held: PoolClient): void {
    if (this.checking || this.client !== held) return
    this.checking = true
    void probeWithin(held.query('SELECT 1'), this.timing.checkTimeout, 'listen health check')
      .catch((error: unknown) => {
        if (this.client === held) this.onLost(asError(error))
      })
      .finally(() => {
        this.checking = false
      })
  }

  private release(held: PoolClient, error: Error | undefined): void {
    if (this.checker !== undefined) clearInterval(this.checker)
    this.checker = undefined
    held.off('notification', this.onNotification)
    held.off('error', this.onLost)
    held.off('end', this.onEnd)
    // Releasing with an error destroys the connection instead of pooling a broken one.
    held.release(error ?? true)
  }
}

/** Creates a {@link PostgresListener} on `pool`; it connects on the first `subscribe`. */
export function createPostgresListener(
  pool: Pool,
  options: PostgresListenerOptions,
): PostgresListener {
  const subscribers = createSubscribers()
  const connection = new ListenConnection(
    pool,
    options.channel,
    {
      firstDelay: options.retryDelay ?? 100,
      maxDelay: options.maxRetryDelay ?? 2000,
      checkInterval: options.healthCheckInterval ?? 2000,
      checkTimeout: options.healthCheckTimeout ?? 1000,
    },
    subscribers,
  )
  // The connection is held only while someone listens: LISTEN takes one pool client.
  return sourceOver(subscribers, connection, true)
}
