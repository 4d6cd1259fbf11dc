/**
 * A loopback TCP proxy in front of a real server, used to simulate faults: refuse connections
 * (closed port), stop answering (paused connection: bytes are held, sockets stay open), drop
 * every connection, and recover on the same port.
 */
import net from 'node:net'

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
  /** Stop listening and drop connections: new connections are refused. */
  stop(): Promise<void>
  /** Listen again on the same port. */
  start(): Promise<void>
  /** Number of connections currently open. */
  readonly connections: number
}

/** Starts a {@link TcpProxy} on an ephemeral loopback port forwarding to `targetPort`. */
export async function createTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>()
  let paused = false
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1')
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
    stop() {
      dropConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
    start: () => listen(port),
    get connections() {
      return pairs.size
    },
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
