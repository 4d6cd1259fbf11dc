/**
 * Runs an Express app until SIGINT or SIGTERM, then closes the server and the app's resources.
 *
 * @module
 */
import type { Express } from 'express'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'

/** PEM texts of an HTTPS server; `clientCa` makes it ask clients for a certificate. */
export interface TlsFiles {
  cert: string
  key: string
  clientCa: string | undefined
}

/**
 * The app's server: HTTP, or HTTPS with `tls`. With a client CA the server asks for a client
 * certificate (naming the CA) but does not require one, so browsers without certificates still
 * sign in, and does not refuse one outside the CA: jwt-gate binds a token to the certificate's
 * thumbprint, which the TLS handshake proved the client holds the key of (docs/mtls.md).
 */
export function createAppServer(app: Express, tls: TlsFiles | undefined): Server {
  if (tls === undefined) return createServer(app)
  const { cert, key, clientCa } = tls
  if (clientCa === undefined) return createHttpsServer({ cert, key }, app)
  return createHttpsServer(
    { cert, key, ca: clientCa, requestCert: true, rejectUnauthorized: false },
    app,
  )
}

/** Listens on `host:port`, prints the URL, and shuts down cleanly on a signal. */
export function serveUntilSignal(
  name: string,
  app: Express,
  host: string,
  port: number,
  cleanup: () => void | Promise<void>,
  tls?: TlsFiles,
): void {
  const server = createAppServer(app, tls)
  server.once('error', (err: Error) => {
    console.error(`${name}: cannot listen on ${host}:${port}: ${err.message}`)
    process.exit(1)
  })
  server.listen(port, host, () => {
    const address = server.address() as AddressInfo
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
    const scheme = tls === undefined ? 'http' : 'https'
    console.log(`${name}: listening on ${scheme}://${shown}:${address.port}`)
  })
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    server.close(() => {
      Promise.resolve(cleanup()).then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(
            `${name}: cleanup failed: ${err instanceof Error ? err.message : 'unknown'}`,
          )
          process.exit(1)
        },
      )
    })
    // Browsers keep idle connections open; do not wait for them.
    server.closeIdleConnections()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
