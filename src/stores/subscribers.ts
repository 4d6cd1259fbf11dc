/**
 * What every invalidation source shares: the set of subscribed listeners, each isolated from the
 * others; a health check that counts a probe as failed once it outlasts its timeout; and the
 * public face of a source over a connection (subscribe opens it, close closes it). Internal: the
 * sources (the hub, Redis pub/sub, PostgreSQL LISTEN) are the public API.
 *
 * @module
 */
import { asError } from './settle.js'
import type { Invalidation, InvalidationListener, InvalidationSource } from './invalidation.js'

/** Listeners of one source. */
export interface Subscribers {
  /** Adds `listener`; the returned function removes exactly this subscription. */
  add(listener: InvalidationListener): () => void
  /** Delivers `event` synchronously to every current listener. */
  emit(event: Invalidation): void
  /** Removes every listener. */
  clear(): void
  /** How many listeners are subscribed. */
  readonly count: number
}

/** Creates an empty {@link Subscribers}. */
export function createSubscribers(): Subscribers {
  const listeners = new Set<InvalidationListener>()
  return {
    add(listener) {
      // A wrapper per subscription, so subscribing the same function twice unsubscribes cleanly.
      const entry: InvalidationListener = (event) => listener(event)
      listeners.add(entry)
      return () => {
        listeners.delete(entry)
      }
    },
    emit(event) {
      for (const listener of [...listeners]) {
        try {
          listener(event)
        } catch {
          // One faulty listener must not keep the others from invalidating their caches.
        }
      }
    },
    clear() {
      listeners.clear()
    },
    get count() {
      return listeners.size
    },
  }
}

/**
 * Resolves when `probe` answers within `timeoutMs`, rejects when it fails or outlasts it. The
 * timer is unref'd and cleared, so a health check never keeps the process alive.
 */
export function probeWithin(
  probe: Promise<unknown>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  let deadline: NodeJS.Timeout | undefined
  const timedOut = new Promise<never>((_, reject) => {
    deadline = setTimeout(() => reject(new Error(`${what} timed out`)), timeoutMs)
    deadline.unref()
  })
  return Promise.race([probe, timedOut]).then(
    () => clearTimeout(deadline),
    (error: unknown) => {
      clearTimeout(deadline)
      throw asError(error)
    },
  )
}

/** A connection that delivers events to {@link Subscribers} while it is up. */
export interface SourceConnection {
  /** Whether events are arriving now (see {@link InvalidationSource.connected}). */
  readonly connected: boolean
  /** Opens the connection if it is not open; idempotent. */
  start(): void
  /** Closes the connection; a later `start()` opens it again. */
  stop(): void
}

/**
 * The public face of a network source: `subscribe` opens the connection, `close` drops every
 * listener and closes it. With `stopWhenIdle`, the last unsubscribe closes it too.
 */
export function sourceOver(
  subscribers: Subscribers,
  connection: SourceConnection,
  stopWhenIdle: boolean,
): InvalidationSource & { close(): Promise<void> } {
  return {
    get connected() {
      return connection.connected
    },
    subscribe(listener) {
      const unsubscribe = subscribers.add(listener)
      connection.start()
      return () => {
        unsubscribe()
        if (stopWhenIdle && subscribers.count === 0) connection.stop()
      }
    },
    close() {
      subscribers.clear()
      connection.stop()
      return Promise.resolve()
    },
  }
}
