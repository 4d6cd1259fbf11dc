/**
 * Redis pub/sub as an {@link InvalidationSource} that can also publish.
 *
 * Subscribing needs a connection of its own, so the channel duplicates the given client on the
 * first `subscribe`. It subscribes on every `ready` (the first connect and each reconnect) and
 * only then reports `all` and counts as `connected`. A health check (`PING` every
 * `healthCheckInterval` ms) notices a connection that stopped answering and forces a reconnect.
 * When the connection drops it reports `all` and is not `connected` (caches keep nothing): events
 * sent while it was away are lost, so caches start afresh rather than trust them.
 *
 * @module
 */
import type { Redis } from 'ioredis'
import type { Invalidation, InvalidationListener, InvalidationSource } from '../invalidation.js'
import { parseInvalidation } from '../invalidation.js'

/** A Redis pub/sub invalidation channel. */
export interface RedisInvalidationChannel extends InvalidationSource {
  /** Publishes `event` to every subscribed instance (this one included). */
  publish(event: Invalidation): Promise<void>
  /** Disconnects the subscriber connection. Idempotent; does not close the given client. */
  close(): Promise<void>
}

/** Options of {@link createRedisInvalidationChannel}. */
export interface RedisInvalidationChannelOptions {
  /** The client used to publish; it is duplicated for subscribing. */
  redis: Redis
  /** The pub/sub channel name. */
  channel: string
  /** Ms between health checks of the subscriber connection; 0 turns them off. @defaultValue 2000 */
  healthCheckInterval?: number
  /** Ms a health check may take before the connection is dropped and redone. @defaultValue 1000 */
  healthCheckTimeout?: number
}

/** Creates a {@link RedisInvalidationChannel}. */
export function createRedisInvalidationChannel(
  options: RedisInvalidationChannelOptions,
): RedisInvalidationChannel {
  const { redis, channel } = options
  const checkInterval = options.healthCheckInterval ?? 2000
  const checkTimeout = options.healthCheckTimeout ?? 1000
  const listeners = new Set<InvalidationListener>()
  let subscriber: Redis | undefined
  let subscribed = false
  let checker: NodeJS.Timeout | undefined

  const emit = (event: Invalidation): void => {
    for (const listener of [...listeners]) {
      try {
        listener(event)
      } catch {
        // Isolate listeners from each other.
      }
    }
  }
  const start = (): void => {
    const sub = redis.duplicate({
      autoResubscribe: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    })
    subscriber = sub
    // Connection errors are followed by reconnects; they must not crash the process.
    sub.on('error', () => undefined)
    sub.on('message', (from: string, message: string) => {
      if (from === channel) emit(parseInvalidation(message))
    })
    sub.on('close', () => {
      subscribed = false
      emit({ type: 'all' })
    })
    sub.on('ready', () => {
      sub.subscribe(channel).then(
        () => {
          subscribed = true
          emit({ type: 'all' })
        },
        // Without a subscription no event can arrive: drop the connection and let it retry.
        () => sub.disconnect(true),
      )
    })
    if (checkInterval > 0) {
      checker = setInterval(() => check(sub), checkInterval)
      checker.unref()
    }
  }
  let checking = false
  const check = (sub: Redis): void => {
    if (checking || !subscribed) return
    checking = true
    let deadline: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_, reject) => {
      deadline = setTimeout(
        () => reject(new Error('subscriber health check timed out')),
        checkTimeout,
      )
      deadline.unref()
    })
    Promise.race([sub.ping(), timedOut])
      .then(
        () => undefined,
        () => {
          // A silent connection: report it lost now and let ioredis reconnect.
          if (subscriber === sub && subscribed) {
            subscribed = false
            emit({ type: 'all' })
            sub.disconnect(true)
          }
        },
      )
      .finally(() => {
        clearTimeout(deadline)
        checking = false
      })
  }

  return {
    get connected() {
      return subscribed
    },
    subscribe(listener) {
      const entry: InvalidationListener = (event) => listener(event)
      listeners.add(entry)
      if (subscriber === undefined) start()
      return () => {
        listeners.delete(entry)
      }
    },
    async publish(event) {
      await redis.publish(channel, JSON.stringify(event))
    },
    close() {
      listeners.clear()
      if (checker !== undefined) clearInterval(checker)
      checker = undefined
      subscribed = false
      subscriber?.disconnect()
      subscriber = undefined
      return Promise.resolve()
    },
  }
}
