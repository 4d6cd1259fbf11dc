/**
 * An HTTP server on a free loopback port whose `close()` does not wait for clients: it destroys
 * every open socket first (a hung answer or a keep-alive connection would hold `server.close()`
 * until the test times out).
 */
import { createServer } from 'node:http'
import type { RequestListener } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** Destroys every open connection, then stops listening. */
  close(): Promise<void>
}

/** Starts `handler` on 127.0.0.1, on a port the system picks. */
export async function startLoopbackServer(handler: RequestListener): Promise<LoopbackServer> {
  const sockets = new Set<Socket>()
  const server = createServer(handler)
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
