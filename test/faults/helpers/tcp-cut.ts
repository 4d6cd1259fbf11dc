/**
 * A loopback TCP relay in front of a real server (PostgreSQL, Redis) that a test can cut (every
 * connection reset, new ones refused), black-hole (connections accepted, nothing forwarded) and
 * heal, to make a real dependency fail the way networks do.
 */
import { connect, createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'

/** The relay's state. */
export type RelayState = 'open' | 'cut' | 'blackhole'

/** A running relay. */
export interface TcpRelay {
  readonly port: number
  set(state: RelayState): void
  close(): Promise<void>
}

/** Starts a relay on an ephemeral loopback port forwarding to `host:port`. */
export async function startRelay(port: number, host = '127.0.0.1'): Promise<TcpRelay> {
  let state: RelayState = 'open'
  const sockets = new Set<Socket>()
  const track = (socket: Socket): void => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
  }
  const server: Server = createServer((client) => {
    track(client)
    if (state === 'cut') {
      client.destroy()
      return
    }
    if (state === 'blackhole') return
    const upstream = connect(port, host)
    track(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    set(next) {
      state = next
      if (next !== 'open') for (const socket of sockets) socket.destroy()
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
