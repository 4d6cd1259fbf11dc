/**
 * The Express middleware: a thin wrapper that hands the request to the framework-free
 * authenticator and passes the outcome to `next`. Works with Express 5 and 4.
 *
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { createAuthenticatorInternals } from '../pipeline/authenticator.js'
import type { Authenticator } from '../pipeline/authenticator.js'
import type { AuthenticateOptions } from '../options/types.js'
import type { AuthContext } from '../context/types.js'
import { setGateChallenge } from './realm.js'
import type { GateChallenge } from './realm.js'
import { answerMetadata, isCorsPreflight, metadataHandler } from './metadata.js'
import { nextNonceFor } from '../dpop/next-nonce.js'
import type { BackchannelLogoutOptions } from '../logout/types.js'
import { resolveLogoutOptions } from '../logout/options.js'
import { createLogoutReceiver } from '../logout/receiver.js'
import { backchannelLogoutHandler } from './backchannel-logout.js'
import type { Pipeline } from '../pipeline/pipeline.js'

/** The middleware returned by {@link authenticate}. */
export type AuthenticateMiddleware = RequestHandler & {
  /** The framework-free authenticator (cache size, warm-up). */
  readonly authenticator: Authenticator
  /** Fetches remote key sets now and checks the user store's table (see `Authenticator.warmUp`). */
  warmUp(): Promise<void>
  /** Releases stores and caches. */
  close(): Promise<void>
  /**
   * With the `resource` option: middleware that answers only the protected-resource metadata
   * requests (and passes every other). The gate answers them itself; mount this at the root
   * (`app.use(gate.metadata)`) when the gate is mounted on a sub-path, which never sees
   * `/.well-known/...`. Undefined without `resource`.
   */
  readonly metadata: RequestHandler | undefined
  /**
   * An OpenID Connect Back-Channel Logout 1.0 endpoint for this gate's issuers: mount it on the
   * client's `backchannel_logout_uri` (`app.post('/backchannel-logout', gate.backchannelLogout({…}))`).
   * It verifies the provider's logout token with the gate's issuers and keys, revokes its session
   * (`sid`) or user (`sub`) in the revocation store, and answers 200 (`Cache-Control: no-store`),
   * 400 with `{ error: 'invalid_request', error_description }`, or 503 when a store is down (never
   * 200 without the revocation made). The options are checked now: a mistake throws an
   * `AuthConfigError` naming the option. See docs/logout.md.
   */
  backchannelLogout(options: BackchannelLogoutOptions): RequestHandler
}

/**
 * After a gate with DPoP authenticated a request: its challenge for the guards (whose errors then
 * offer the DPoP scheme), and the next server nonce when one is due (RFC 9449 §8.2).
 */
function recordDpop(req: Request, auth: AuthContext, challenge: GateChallenge): void {
  setGateChallenge(req, challenge)
  const nonce = nextNonceFor(auth)
  if (nonce !== undefined) req.res?.setHeader('DPoP-Nonce', nonce)
}

/** The handler of `gate.backchannelLogout(options)`, its options checked now. */
function logoutHandler(pipeline: Pipeline, options: BackchannelLogoutOptions): RequestHandler {
  const settings = resolveLogoutOptions(options, pipeline.config.revocation?.store)
  return backchannelLogoutHandler(createLogoutReceiver(pipeline, settings))
}

/**
 * Verifies the request's token and sets `req.auth` to the result: the context, or undefined when the
 * request stays anonymous (even if an earlier gate set it: the nearest gate wins). Options are
 * validated now: a mistake throws an `AuthConfigError` naming the option, at start-up rather than
 * as a 401 later.
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
  const internals = createAuthenticatorInternals(options)
  const { authenticator, authenticateSyncWhenPossible, passCorsPreflight } = internals
  const { signatureChecks, yieldAfterVerification, metadata, dpopChallenge } = internals
  const challenge: GateChallenge = {
    realm: authenticator.realm,
    resourceMetadata: metadata?.metadataUrl,
    dpop: dpopChallenge,
  }

  // Created once, not per request: the hot path allocates no closures.
  function settled(req: Request, next: NextFunction, auth: AuthContext | undefined): void {
    if (auth === undefined) endAnonymous(req)
    else req.auth = auth
    if (auth !== undefined && dpopChallenge !== undefined) recordDpop(req, auth, challenge)
    next()
  }
  function rejected(req: Request, next: NextFunction, error: unknown): void {
    endAnonymous(req)
    next(error)
  }
  /**
   * Gates stack by "the nearest gate wins": a gate that ends without a context leaves the request
   * anonymous for the guards behind it, whatever an earlier gate (another issuer or audience)
   * established. The context carries the realm for later guards; an anonymous request needs it
   * recorded.
   */
  function endAnonymous(req: Request): void {
    // Assigned only when set, so a request no gate authenticated keeps its shape.
    if (req.auth !== undefined) req.auth = undefined
    setGateChallenge(req, challenge)
  }
  /** Whether the synchronous call that began at `checksBefore` checked a signature and must yield. */
  function yieldsAfter(checksBefore: number): boolean {
    return yieldAfterVerification && signatureChecks() !== checksBefore
  }

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    // The metadata is public and read before a client holds a token (RFC 9728 §3).
    if (metadata !== undefined && answerMetadata(metadata, req, res)) return
    if (passCorsPreflight && isCorsPreflight(req)) {
      endAnonymous(req)
      next()
      return
    }
    const checksBefore = signatureChecks()
    let outcome: ReturnType<typeof authenticateSyncWhenPossible>
    try {
      outcome = authenticateSyncWhenPossible(req)
    } catch (error) {
      if (yieldsAfter(checksBefore)) setImmediate(rejected, req, next, error)
      else rejected(req, next, error)
      return
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (auth) => settled(req, next, auth),
        (error: unknown) => rejected(req, next, error),
      )
      return
    }
    // Settled on the spot (no promise, no extra tick): a cached token or a static key, no stores.
    // After a signature check (tens of microseconds of CPU) the request yields first, so the loop
    // reads every connection that is ready before their answers are written: with the load
    // generator on another host that measured 8-10 % more req/s and less CPU per request
    // (docs/performance.md). A cache hit costs about a microsecond and goes on at once.
    if (yieldsAfter(checksBefore)) setImmediate(settled, req, next, outcome)
    else settled(req, next, outcome)
  }
  return Object.assign(middleware, {
    authenticator,
    warmUp: () => authenticator.warmUp(),
    close: () => authenticator.close(),
    metadata: metadata === undefined ? undefined : metadataHandler(metadata),
    backchannelLogout: logoutHandler.bind(undefined, internals.pipeline),
  })
}
