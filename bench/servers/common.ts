/**
 * What every benchmark server shares: the same trivial route, a loopback listener on a free port
 * announced on stdout (`listening <port>`), an optional stats route, and a clean exit on SIGTERM.
 */
import type { Express, Request, RequestHandler, Response } from 'express'
import type { BenchAlgorithm } from '../fixture.js'
import { ALGORITHMS } from '../fixture.js'

/** The algorithm this server verifies, from `BENCH_ALG`. */
export function benchAlgorithm(): BenchAlgorithm {
  const alg = process.env.BENCH_ALG ?? 'EdDSA'
  if (!(ALGORITHMS as readonly string[]).includes(alg)) throw new Error(`unknown BENCH_ALG ${alg}`)
  return alg as BenchAlgorithm
}

/** The server variant from `BENCH_VARIANT` (meaning depends on the server). */
export function benchVariant(): string {
  return process.env.BENCH_VARIANT ?? ''
}

/**
 * The protected route: answers the subject, like a real handler that reads the identity. With
 * `BENCH_ANSWER=immediate` (`npm run bench -- --answer immediate`) it answers from `setImmediate()`,
 * so that every server writes its answers in the same event-loop phase (see `bench/run.ts`).
 */
export function protectedRoute(subjectOf: (req: Request) => unknown): RequestHandler {
  if (process.env.BENCH_ANSWER === 'immediate') {
    return (req: Request, res: Response) => {
      const sub = subjectOf(req)
      setImmediate(() => res.json({ sub }))
    }
  }
  return (req: Request, res: Response) => {
    res.json({ sub: subjectOf(req) })
  }
}

/**
 * `GET /__stats` (mounted before authentication, only when `BENCH_STATS=1`): memory of this
 * process plus what `extra` reports (cache sizes).
 */
export function mountStats(app: Express, extra: () => Record<string, number> = () => ({})): void {
  if (process.env.BENCH_STATS !== '1') return
  app.get('/__stats', (req, res) => {
    // With --expose-gc, `?gc=1` collects first, so "after" reflects what is really retained.
    const gc = (globalThis as { gc?: () => void }).gc
    if (req.query.gc === '1' && gc !== undefined) gc()
    const memory = process.memoryUsage()
    res.json({
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      external: memory.external,
      ...extra(),
    })
  })
}

/** Listens on 127.0.0.1 (never another interface) and exits cleanly on SIGTERM. */
export function serve(app: Express, cleanup: () => Promise<void> = () => Promise.resolve()): void {
  const server = app.listen(0, '127.0.0.1', (error?: Error) => {
    if (error !== undefined) throw error
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
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
