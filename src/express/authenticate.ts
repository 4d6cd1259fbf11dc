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
import type { AuthContext } from '../context.js'
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
    let outcome: ReturnType<Authenticator['authenticateNow']>
    try {
      outcome = authenticator.authenticateNow(req)
    } catch (error) {
      rejected(error)
      return
    }
    if (outcome instanceof Promise) {
      outcome.then(settled, rejected)
      return
    }
    // A token without store checks is settled on the spot: no promise, no extra tick.
    settled(outcome)

    function settled(auth: AuthContext | undefined): void {
      // The context carries the realm for later guards; an anonymous request needs it recorded.
      if (auth === undefined) setRealm(req, authenticator.realm)
      else req.auth = auth
      next()
    }
    function rejected(error: unknown): void {
      setRealm(req, authenticator.realm)
      next(error)
    }
  }
  return Object.assign(middleware, {
    authenticator,
    warmUp: () => authenticator.warmUp(),
    close: () => authenticator.close(),
  })
}
