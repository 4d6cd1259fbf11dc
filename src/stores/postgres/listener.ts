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
import type { Invalidation, InvalidationListener, InvalidationSource } from '../invalidation.js'
import { parseInvalidation } from '../invalidation.js'
import { quoteIdentifier } from '../sql-identifier.js'

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

/** Creates a {@link PostgresListener} on `pool`; it connects on the first `subscribe`. */
export function createPostgresListener(
  pool: Pool,
  options: PostgresListenerOptions,
): PostgresListener {
  const listenSql = `LISTEN ${quoteIdentifier('channel', options.channel)}`
  const firstDelay = options.retryDelay ?? 100
  const maxDelay = options.maxRetryDelay ?? 2000
  const checkInterval = options.healthCheckInterval ?? 2000
  const checkTimeout = options.healthCheckTimeout ?? 1000
  const listeners = new Set<InvalidationListener>()
  let client: PoolClient | undefined
  let timer: NodeJS.Timeout | undefined
  let checker: NodeJS.Timeout | undefined
  let delay = firstDelay
  let running = false
  let connecting = false

  const emit = (event: Invalidation): void => {
    for (const listener of [...listeners]) {
      try {
        listener(event)
      } catch {
        // Isolate listeners from each other.
      }
    }
  }
  const onNotification = (message: Notification): void => {
    if (message.channel === options.channel) emit(parseInvalidation(message.payload ?? ''))
  }
  const drop = (held: PoolClient, error: Error | undefined): void => {
    if (checker !== undefined) clearInterval(checker)
    checker = undefined
    held.off('notification', onNotification)
    held.off('error', onLost)
    held.off('end', onEnd)
    // Releasing with an error destroys the connection instead of pooling a broken one.
    held.release(error ?? true)
  }
  function onLost(error: Error): void {
    const held = client
    if (held === undefined) return
    client = undefined
    drop(held, error)
    emit({ type: 'all' })
    schedule()
  }
  function onEnd(): void {
    onLost(new Error('listen connection ended'))
  }
  function schedule(): void {
    if (!running || timer !== undefined) return
    timer = setTimeout(() => {
      timer = undefined
      void connect()
    }, delay)
    timer.unref()
    delay = Math.min(delay * 2, maxDelay)
  }
  async function connect(): Promise<void> {
    if (!running || connecting || client !== undefined) return
    connecting = true
    let held: PoolClient | undefined
    try {
      held = await pool.connect()
      held.on('notification', onNotification)
      held.on('error', onLost)
      held.on('end', onEnd)
      await held.query(listenSql)
      if (!running) {
        drop(held, undefined)
        return
      }
      const listening = held
      client = listening
      delay = firstDelay
      if (checkInterval > 0) {
        checker = setInterval(() => check(listening), checkInterval)
        checker.unref()
      }
      emit({ type: 'all' })
    } catch (error) {
      if (held !== undefined) drop(held, error instanceof Error ? error : new Error(String(error)))
      schedule()
    } finally {
      connecting = false
    }
  }
  let checking = false
  function check(held: PoolClient): void {
    if (checking || client !== held) return
    checking = true
    let deadline: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => reject(new Error('listen health check timed out')), checkTimeout)
      deadline.unref()
    })
    Promise.race([held.query('SELECT 1'), timedOut])
      .then(
        () => undefined,
        (error: unknown) => {
          if (client === held) onLost(error instanceof Error ? error : new Error(String(error)))
        },
      )
      .finally(() => {
        clearTimeout(deadline)
        checking = false
      })
  }
  const stop = (): void => {
    running = false
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    const held = client
    client = undefined
    if (held !== undefined) drop(held, undefined)
  }

  return {
    get connected() {
      return client !== undefined
    },
    subscribe(listener) {
      const entry: InvalidationListener = (event) => listener(event)
      listeners.add(entry)
      if (!running) {
        running = true
        void connect()
      }
      return () => {
        listeners.delete(entry)
        if (listeners.size === 0) stop()
      }
    },
    close() {
      listeners.clear()
      stop()
      return Promise.resolve()
    },
  }
}
