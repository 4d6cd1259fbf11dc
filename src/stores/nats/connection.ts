/**
 * The NATS connection of a store or channel: the app's own, or one opened from URLs that
 * reconnects forever and notices a dead server within about ten seconds. Internal.
 *
 * @module
 */
import { connect } from 'nats'
import type { NatsConnection } from 'nats'

/** A NATS subject without wildcards. */
export const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/u

/** The connection: the given one, or one the store owns that reconnects forever. */
export function openConnection(nats: NatsConnection | string): {
  connection: Promise<NatsConnection>
  owned: boolean
} {
  if (typeof nats !== 'string') return { connection: Promise.resolve(nats), owned: false }
  const connection = connect({
    servers: nats.split(',').map((server) => server.trim()),
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // A dead server is noticed within about ten seconds even without a TCP reset.
    pingInterval: 5000,
    maxPingOut: 2,
  })
  return { connection, owned: true }
}
