/**
 * Bare Express 5: the ceiling every other server is measured against. `BENCH_VARIANT` adds a
 * middleware that does nothing, to price the shape of a middleware rather than its work:
 * - `noop` calls `next()` at once;
 * - `noop-auth` sets a request property to a shared object, then calls `next()` at once:
 *   jwt-gate's Express layer on a cache hit, without the authentication;
 * - `noop-like-gate` does to the request what a cache hit does (reads the header, scans the raw
 *   header list, sets a fresh object with copied arrays), without the authentication;
 * - `noop-async` calls `next()` from a resolved promise, as an async authenticator must;
 * - `noop-async-auth` also sets request properties from there.
 */
import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import { benchVariant, mountStats, protectedRoute, serve } from './common.js'
import { LIKE_GATE_VARIANT } from '../scenarios.js'

const REALM = Symbol('bench.realm')
const variant = benchVariant()

const app = express()
mountStats(app)
if (variant === 'noop') {
  app.use((_req: Request, _res: Response, next: NextFunction) => next())
} else if (variant === 'noop-auth') {
  const auth = { subject: 'anonymous' }
  app.use((req: Request, _res: Response, next: NextFunction) => {
    ;(req as unknown as { benchAuth: unknown }).benchAuth = auth
    next()
  })
} else if (variant === LIKE_GATE_VARIANT) {
  // What a cache hit does to the request, without the authentication: reads the header, scans
  // the raw header list, and sets a fresh object with copied role and scope arrays.
  const roles: readonly string[] = ['user']
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization
    const raw = req.rawHeaders
    let lines = 0
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 13) lines++
    ;(req as unknown as { benchAuth: unknown }).benchAuth = {
      subject: 'anonymous',
      issuer: header,
      roles: [...roles],
      scopes: [...roles],
      lines,
    }
    next()
  })
} else if (variant === 'noop-async') {
  app.use((_req: Request, _res: Response, next: NextFunction) => {
    Promise.resolve().then(() => next(), next)
  })
} else if (variant === 'noop-async-auth') {
  app.use((req: Request, _res: Response, next: NextFunction) => {
    ;(req as unknown as Record<symbol, string>)[REALM] = 'api'
    Promise.resolve({ subject: 'anonymous' }).then((auth) => {
      ;(req as unknown as { benchAuth: unknown }).benchAuth = auth
      next()
    }, next)
  })
}
app.get(
  '/',
  protectedRoute(() => 'anonymous'),
)
serve(app)
