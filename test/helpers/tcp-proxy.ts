/**
 * The one TCP fault proxy of the tests: a loopback relay in front of a real server (PostgreSQL,
 * Redis) that makes it fail the way networks do. It can hold every byte while the sockets stay
 * open (a hung server), drop every connection, stop listening (connections refused) and listen
 * again on the same port, cut (every connection reset, new ones too) and black-hole (connections
 * accepted, nothing forwarded).
 */
import net from 'node:net'

/** What happens to connections: forwarded, reset, or accepted and never forwarded. */
export type ProxyState = 'open' | 'cut' | 'blackhole'

/** See the module description. */
export interface TcpProxy {
  /** The port clients connect to. */
  readonly port: number
  /** Stop forwarding in both directions; connections stay open (a hung server). */
  pause(): void
  /** Forward again, including what was held back. */
  resume(): void
  /** Destroy every open connection (the server went away). */
  dropConnections(): void
  /**
   * `cut`: every connection is reset, new ones as soon as they open; `blackhole`: open connections
   * are dropped, new ones accepted and never forwarded; `open`: forward again.
   */
  set(state: ProxyState): void
  /** Stop listening and drop connections: new connections are refused. */
  stop(): Promise<void>
  /** Listen again on the same port. */
  start(): Promise<void>
}

/** Starts a {@link TcpProxy} on an ephemeral loopback port forwarding to `host:targetPort`. */
export async function createTcpProxy(targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>()
  /** Black-holed client sockets, never paired with an upstream. */
  const held = new Set<net.Socket>()
  let paused = false
  let state: ProxyState = 'open'
  const server = net.createServer((client) => {
    if (state === 'cut') {
      client.on('error', () => undefined)
      client.destroy()
      return
    }
    if (state === 'blackhole') {
      held.add(client)
      client.on('error', () => undefined)
      client.on('close', () => held.delete(client))
      return
    }
    const upstream = net.connect(targetPort, host)
    const pair: [net.Socket, net.Socket] = [client, upstream]
    pairs.add(pair)
    if (paused) {
      client.pause()
      upstream.pause()
    } else {
      client.pipe(upstream)
      upstream.pipe(client)
    }
    const close = (): void => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', close)
    upstream.on('error', close)
    client.on('close', close)
    upstream.on('close', close)
  })
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  await listen(0)
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no proxy port')
  const port = address.port
  const dropConnections = (): void => {
    for (const [client, upstream] of pairs) {
      client.destroy()
      upstream.destroy()
    }
    pairs.clear()
    for (const socket of held) socket.destroy()
    held.clear()
  }

  return {
    port,
    pause() {
      if (paused) return
      paused = true
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream)
        upstream.unpipe(client)
        client.pause()
        upstream.pause()
      }
    },
    resume() {
      if (!paused) return
      paused = false
      for (const [client, upstream] of pairs) {
        client.pipe(upstream)
        upstream.pipe(client)
        client.resume()
        upstream.resume()
      }
    },
    dropConnections,
    set(next) {
      state = next
      if (next !== 'open') dropConnections()
    },
    stop() {
      dropConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
    start: () => listen(port),
  }
}

/** A loopback server that accepts connections and never answers (a hung database). */
export async function createSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    port: address.port,
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** A loopback port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return address.port
}
