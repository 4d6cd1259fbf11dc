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

/** A connection being opened, and how to give up on it. */
export interface OpenedConnection {
  /** Resolves once connected; never settles for an owned one that was closed first. */
  connection: Promise<NatsConnection>
  /** Closes the connection the store owns, or stops trying to make it. Idempotent. */
  close(): Promise<void>
}

const RETRY_FIRST_CONNECT_MS = 250

/**
 * The connection: the given one, or one the store owns. An owned one is retried until the server
 * answers (the first attempt may find it down), then reconnects forever by itself; closing it
 * stops the attempts too, so a store never keeps trying in the background after `close()`.
 */
export function openConnection(nats: NatsConnection | string): OpenedConnection {
  if (typeof nats !== 'string')
    return { connection: Promise.resolve(nats), close: () => Promise.resolve() }
  let closed = false
  let retry: NodeJS.Timeout | undefined
  let opened: NatsConnection | undefined
  const connection = new Promise<NatsConnection>((resolve) => {
    const attempt = (): void => {
      connect({
        servers: nats.split(',').map((server) => server.trim()),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        // A dead server is noticed within about ten seconds even without a TCP reset.
        pingInterval: 5000,
        maxPingOut: 2,
      }).then(
        (nc) => {
          if (closed) return void nc.close()
          opened = nc
          resolve(nc)
        },
        () => {
          if (closed) return
          retry = setTimeout(attempt, RETRY_FIRST_CONNECT_MS)
          retry.unref()
        },
      )
    }
    attempt()
  })
  return {
    connection,
    async close() {
      closed = true
      clearTimeout(retry)
      await opened?.close()
    },
  }
}
