/**
 * Redis pub/sub as an {@link InvalidationSource} that can also publish.
 *
 * Subscribing needs a connection of its own, so the channel duplicates the given client on the
 * first `subscribe`. It subscribes on every `ready` (the first connect and each reconnect) and
 * only then reports `all`, and it reports `all` when the connection drops: events sent while it
 * was away are lost, so caches start afresh rather than trust them.
 *
 * @module
 */
import type { Redis } from 'ioredis'
import type { Invalidation, InvalidationListener, InvalidationSource } from './invalidation.js'
import { parseInvalidation } from './invalidation.js'

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
}

/** Creates a {@link RedisInvalidationChannel}. */
export function createRedisInvalidationChannel(
  options: RedisInvalidationChannelOptions,
): RedisInvalidationChannel {
  const { redis, channel } = options
  const listeners = new Set<InvalidationListener>()
  let subscriber: Redis | undefined

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
    sub.on('close', () => emit({ type: 'all' }))
    sub.on('ready', () => {
      sub.subscribe(channel).then(
        () => emit({ type: 'all' }),
        // Without a subscription no event can arrive: drop the connection and let it retry.
        () => sub.disconnect(true),
      )
    })
  }

  return {
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
      subscriber?.disconnect()
      subscriber = undefined
      return Promise.resolve()
    },
  }
}
