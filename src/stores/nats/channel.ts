/**
 * Invalidations over a plain NATS subject (no JetStream), beside Redis pub/sub and PostgreSQL
 * NOTIFY: a source for `cacheUserStore`/`cacheRevocationStore` in front of a Redis or PostgreSQL
 * store, plus `publish` for the app's own events (user changes, say).
 *
 * Like the other sources it reports `all` and is not `connected` from a disconnection until it is
 * subscribed again (then `all` once more), so a cache keeps nothing while events may be lost.
 * Messages are untrusted: anything that is not a known event becomes `all` (drop everything),
 * which is always safe.
 *
 * @module
 */
import { Events } from 'nats'
import type { NatsConnection, Subscription } from 'nats'
import { AuthConfigError } from '../../errors.js'
import { parseInvalidation } from '../invalidation.js'
import type { Invalidation, InvalidationSource } from '../invalidation.js'
import { createSubscribers } from '../subscribers.js'
import { openConnection, SUBJECT } from './connection.js'

/** Options of {@link createNatsInvalidationChannel}. */
export interface NatsInvalidationChannelOptions {
  /** A connection of yours (reconnecting forever), or server URL(s) for one the channel owns. */
  nats: NatsConnection | string
  /** The subject (no wildcards). @defaultValue `'jwt-gate.invalidations'` */
  subject?: string
}

/** A NATS invalidation source that can also publish. */
export interface NatsInvalidationChannel extends InvalidationSource {
  /** Publishes `event` to every instance subscribed (this one included). */
  publish(event: Invalidation): Promise<void>
  /** Unsubscribes, and closes the connection if the channel opened it. Idempotent. */
  close(): Promise<void>
}

/** Largest message read as an event; anything larger is `all`. */
const MAX_MESSAGE_BYTES = 8192

/** Creates a {@link NatsInvalidationChannel}; it subscribes as soon as it is connected. */
export function createNatsInvalidationChannel(
  options: NatsInvalidationChannelOptions,
): NatsInvalidationChannel {
  const subject = options.subject ?? 'jwt-gate.invalidations'
  if (typeof subject !== 'string' || !SUBJECT.test(subject))
    throw new AuthConfigError('subject', 'must be a NATS subject without wildcards')
  const subscribers = createSubscribers()
  const opened = openConnection(options.nats)
  let connected = false
  let closed = false
  let subscription: Subscription | undefined
  const receive = (data: Uint8Array): void =>
    subscribers.emit(
      data.byteLength > MAX_MESSAGE_BYTES
        ? { type: 'all' }
        : parseInvalidation(new TextDecoder().decode(data)),
    )
  // Connected once the server has the subscription (a flush round trip), then `all`.
  const listen = async (nc: NatsConnection): Promise<void> => {
    subscription ??= nc.subscribe(subject, { callback: (_error, message) => receive(message.data) })
    await nc.flush()
    if (closed || nc.isClosed()) return
    connected = true
    subscribers.emit({ type: 'all' })
  }
  const started = opened.connection.then(async (nc) => {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === Events.Disconnect) {
          connected = false
          subscribers.emit({ type: 'all' })
        } else if (status.type === Events.Reconnect) void listen(nc).catch(() => undefined)
      }
    })()
    await listen(nc)
    return nc
  })
  started.catch(() => undefined)
  let closing: Promise<void> | undefined
  return {
    get connected() {
      return connected && !closed
    },
    subscribe: (listener) => subscribers.add(listener),
    async publish(event) {
      const nc = await opened.connection
      nc.publish(subject, JSON.stringify(event))
      await nc.flush()
    },
    close() {
      closing ??= (async () => {
        closed = true
        connected = false
        subscribers.clear()
        subscription?.unsubscribe()
        await opened.close()
      })()
      return closing
    },
  }
}
