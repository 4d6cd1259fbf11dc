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
import type { Invalidation, InvalidationSource } from '../invalidation.js'
import { parseInvalidation } from '../invalidation.js'
import { createSubscribers, probeWithin, sourceOver } from '../subscribers.js'
import type { SourceConnection, Subscribers } from '../subscribers.js'

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

/**
 * The subscriber connection: a duplicate of the app's client that subscribes on every `ready`,
 * counts as subscribed only once the subscription holds, and is dropped (ioredis reconnects) when
 * its health check fails.
 */
class SubscriberConnection implements SourceConnection {
  private subscriber: Redis | undefined
  private checker: NodeJS.Timeout | undefined
  private checking = false
  private subscribed = false

  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
    private readonly health: { interval: number; timeout: number },
    private readonly subscribers: Subscribers,
  ) {}

  get connected(): boolean {
    return this.subscribed
  }

  /** Opens the connection on first use; later calls do nothing. */
  start(): void {
    if (this.subscriber !== undefined) return
    const sub = this.redis.duplicate({
      autoResubscribe: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    })
    this.subscriber = sub
    this.watch(sub)
    if (this.health.interval > 0) {
      this.checker = setInterval(() => this.check(sub), this.health.interval)
      this.checker.unref()
    }
  }

  stop(): void {
    if (this.checker !== undefined) clearInterval(this.checker)
    this.checker = undefined
    this.subscribed = false
    this.subscriber?.disconnect()
    this.subscriber = undefined
  }

  private watch(sub: Redis): void {
    // Connection errors are followed by reconnects; they must not crash the process.
    sub.on('error', () => undefined)
    sub.on('message', (from: string, message: string) => {
      if (from === this.channel) this.subscribers.emit(parseInvalidation(message))
    })
    sub.on('close', () => {
      this.subscribed = false
      this.subscribers.emit({ type: 'all' })
    })
    sub.on('ready', () => {
      sub.subscribe(this.channel).then(
        () => {
          this.subscribed = true
          this.subscribers.emit({ type: 'all' })
        },
        // Without a subscription no event can arrive: drop the connection and let it retry.
        () => sub.disconnect(true),
      )
    })
  }

  /** `PING` within the timeout, or the connection is reported lost and redone. */
  private check(sub: Redis): void {
    if (this.checking || !this.subscribed) return
    this.checking = true
    void probeWithin(sub.ping(), this.health.timeout, 'subscriber health check')
      .catch(() => {
        // A silent connection: report it lost now and let ioredis reconnect.
        if (this.subscriber === sub && this.subscribed) {
          this.subscribed = false
          this.subscribers.emit({ type: 'all' })
          sub.disconnect(true)
        }
      })
      .finally(() => {
        this.checking = false
      })
  }
}

/** Creates a {@link RedisInvalidationChannel}. */
export function createRedisInvalidationChannel(
  options: RedisInvalidationChannelOptions,
): RedisInvalidationChannel {
  const { redis, channel } = options
  const subscribers = createSubscribers()
  const connection = new SubscriberConnection(
    redis,
    channel,
    { interval: options.healthCheckInterval ?? 2000, timeout: options.healthCheckTimeout ?? 1000 },
    subscribers,
  )
  // The subscriber stays connected until `close()`, whoever unsubscribes.
  return Object.assign(sourceOver(subscribers, connection, false), {
    async publish(event: Invalidation): Promise<void> {
      await redis.publish(channel, JSON.stringify(event))
    },
  })
}
