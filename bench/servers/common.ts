/**
 * What every benchmark server shares: the same trivial route, a loopback listener on a free port
 * announced on stdout (`listening <port>`), a CPU-time route, and a clean exit on SIGTERM.
 */
import express from 'express'
import type { Express, Request, RequestHandler } from 'express'
import type { BenchAlgorithm } from '../fixture.js'
import { ALGORITHMS } from '../fixture.js'

/** The algorithm this server verifies, from `BENCH_ALG`. */
export function benchAlgorithm(): BenchAlgorithm {
  const alg = process.env.BENCH_ALG ?? 'EdDSA'
  if (!(ALGORITHMS as readonly string[]).includes(alg)) throw new Error(`unknown BENCH_ALG ${alg}`)
  return alg as BenchAlgorithm
}

/** The server variant from `BENCH_VARIANT` (meaning depends on the server). */
export const benchVariant = (): string => process.env.BENCH_VARIANT ?? ''

/**
 * The app of every server: `GET /__cpu` (this process's `process.cpuUsage()`, read by the runner
 * around each slice, so CPU per request is the server's own), mounted before authentication; then
 * `handlers` app-wide; then the protected `GET /`, which answers the subject, like a real handler
 * that reads the identity.
 */
export function benchApp(subjectOf: (req: Request) => unknown, ...handlers: RequestHandler[]) {
  const app = express()
  app.get('/__cpu', (_req, res) => {
    res.json(process.cpuUsage())
  })
  for (const handler of handlers) app.use(handler)
  app.get('/', (req, res) => {
    res.json({ sub: subjectOf(req) })
  })
  return app
}

/**
 * Listens on 127.0.0.1 (never another interface) and exits cleanly on SIGTERM. `onListening`
 * gets the server's origin before the port is announced (a DPoP server's `publicOrigin`).
 */
export function serve(
  app: Express,
  cleanup: () => Promise<void> = () => Promise.resolve(),
  onListening: (origin: string) => void = () => undefined,
): void {
  const server = app.listen(0, '127.0.0.1', (error?: Error) => {
    if (error !== undefined) throw error
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    onListening(`http://127.0.0.1:${address.port}`)
    process.stdout.write(`listening ${address.port}\n`)
  })
  server.keepAliveTimeout = 65_000
  let closing = false
  const stop = (): void => {
    if (closing) return
    closing = true
    server.closeAllConnections()
    server.close()
    cleanup().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

/** The bearer token of `Authorization: Bearer <token>`, the way a hand-written middleware reads it. */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization
  if (header === undefined || !header.startsWith('Bearer ')) return undefined
  return header.slice(7)
}
