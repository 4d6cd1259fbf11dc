/**
 * The Express middleware: a thin wrapper that hands the request to the framework-free
 * authenticator and passes the outcome to `next`. Works with Express 5 and 4.
 *
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { createAuthenticator } from '../authenticator.js'
import type { Authenticator } from '../authenticator.js'
import type { AuthenticateOptions } from '../options.js'
import { setRealm } from './realm.js'

/** The middleware returned by {@link authenticate}. */
export type AuthenticateMiddleware = RequestHandler & {
  /** The framework-free authenticator (cache size, warm-up). */
  readonly authenticator: Authenticator
  /** Fetches remote key sets now. */
  warmUp(): Promise<void>
  /** Releases stores and caches. */
  close(): Promise<void>
}

/**
 * Verifies the request's token and sets `req.auth`. Options are validated now: a mistake throws an
 * `AuthConfigError` naming the option, at start-up rather than as a 401 later.
 *
 * @example
 * ```ts
 * app.use(cookieParser())
 * app.use(authenticate({
 *   issuers: [{ issuer: 'https://auth.example.org', key: { ed25519: process.env.JWT_PUBLIC_KEY! } }],
 *   cookie: { name: 'access_cc' },
 * }))
 * app.get('/admin', requireRoles('admin'), handler)
 * ```
 */
export function authenticate(options: AuthenticateOptions): AuthenticateMiddleware {
  const authenticator = createAuthenticator(options)
  const middleware = (req: Request, _res: Response, next: NextFunction): void => {
    setRealm(req, authenticator.realm)
    let outcome: ReturnType<Authenticator['authenticateNow']>
    try {
      outcome = authenticator.authenticateNow(req)
    } catch (error) {
      next(error)
      return
    }
    if (outcome instanceof Promise) {
      outcome.then((auth) => {
        if (auth !== undefined) req.auth = auth
        next()
      }, next)
      return
    }
    // A cached token without store checks is settled on the spot: no promise, no extra tick.
    if (outcome !== undefined) req.auth = outcome
    next()
  }
  return Object.assign(middleware, {
    authenticator,
    warmUp: () => authenticator.warmUp(),
    close: () => authenticator.close(),
  })
}
