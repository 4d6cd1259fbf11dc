/**
 * Runs an Express app until SIGINT or SIGTERM, then closes the server and the app's resources.
 *
 * @module
 */
import type { Express } from 'express'
import type { AddressInfo } from 'node:net'

/** Listens on `host:port`, prints the URL, and shuts down cleanly on a signal. */
export function serveUntilSignal(
  name: string,
  app: Express,
  host: string,
  port: number,
  cleanup: () => void | Promise<void>,
): void {
  const server = app.listen(port, host, (err?: Error) => {
    if (err !== undefined) {
      console.error(`${name}: cannot listen on ${host}:${port}: ${err.message}`)
      process.exit(1)
    }
    const address = server.address() as AddressInfo
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
    console.log(`${name}: listening on http://${shown}:${address.port}`)
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
