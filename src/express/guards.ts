/**
 * Route guards: the framework-free checks of `guards.ts`, each wrapped by one adapter.
 *
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import {
  claimEquals,
  claimIncludes,
  hasAllRoles,
  hasAllScopes,
  hasAnyRole,
  hasAnyScope,
  isAuthenticated,
  policy,
} from '../guards.js'
import type { AuthCheck, AuthPredicate, ClaimValue } from '../guards.js'
import type { ClaimPath } from '../claims/mapping.js'
import { ServerMisconfiguredError, isAuthError } from '../errors.js'
import { stepUp } from '../step-up/check.js'
import type { StepUpRule } from '../step-up/check.js'
import { gateRan, getDpopChallenge, getRealm, getResourceMetadata } from './realm.js'

/**
 * Wraps a framework-free check as Express middleware. `guard` names it in the warning about a
 * route no `authenticate()` covers.
 */
function toHandler(check: AuthCheck<Request>, guard: string): RequestHandler {
  let warned = false
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!gateRan(req)) {
      if (!warned) {
        warned = true
        warnGateMissing(guard, req)
      }
      next(new ServerMisconfiguredError('ERR_AUTH_GATE_MISSING', 'no authenticate() before guard'))
      return
    }
    const fail = (error: unknown): void => {
      if (isAuthError(error)) {
        error.realm = getRealm(req) ?? error.realm
        error.resourceMetadata = getResourceMetadata(req) ?? error.resourceMetadata
        error.dpop = getDpopChallenge(req) ?? error.dpop
      }
      next(error)
    }
    try {
      const result = check(req.auth, req)
      if (result instanceof Promise) result.then(() => next(), fail)
      else next()
    } catch (error) {
      fail(error)
    }
  }
}

/**
 * A guard no gate ran before would answer every request 401 "no credentials provided", valid token
 * or not: a mounting mistake that looks like a client's. The warning names the guard and the route
 * pattern (never the URL, whose query may carry a token).
 */
function warnGateMissing(guard: string, req: Request): void {
  const route: unknown = (req.route as { path?: unknown } | undefined)?.path
  const where = typeof route === 'string' ? ` on ${req.method} ${req.baseUrl}${route}` : ''
  process.emitWarning(
    `jwt-gate: ${guard}${where} runs on a request no authenticate() has seen; mount authenticate() before it (answering 500 ERR_AUTH_GATE_MISSING)`,
    { code: 'JWT_GATE_GATE_MISSING' },
  )
}

/** 401 unless the request is authenticated (for routes behind `credentials: 'optional'`). */
export const requireAuth = (): RequestHandler => toHandler(isAuthenticated(), 'requireAuth()')
/** 403 unless `req.auth.roles` holds every one of `roles`. */
export const requireRoles = (...roles: string[]): RequestHandler =>
  toHandler(hasAllRoles(...roles), 'requireRoles()')
/** 403 unless `req.auth.roles` holds at least one of `roles`. */
export const requireAnyRole = (...roles: string[]): RequestHandler =>
  toHandler(hasAnyRole(...roles), 'requireAnyRole()')
/** 403 `insufficient_scope` (naming the scopes) unless every scope is held. */
export const requireScopes = (...scopes: string[]): RequestHandler =>
  toHandler(hasAllScopes(...scopes), 'requireScopes()')
/** 403 `insufficient_scope` unless at least one of the scopes is held. */
export const requireAnyScope = (...scopes: string[]): RequestHandler =>
  toHandler(hasAnyScope(...scopes), 'requireAnyScope()')
/**
 * 403 unless the claim at `path` equals `value`. `path` is a claim name, tried whole first
 * (`https://example.com/tenant`), then as a dotted path (`org.id`); an array names exact segments.
 */
export const requireClaim = (path: ClaimPath, value: ClaimValue): RequestHandler =>
  toHandler(claimEquals(path, value), 'requireClaim()')
/** 403 unless the claim at `path` (named as in {@link requireClaim}) includes every value. */
export const requireClaimIncludes = (path: ClaimPath, ...values: ClaimValue[]): RequestHandler =>
  toHandler(claimIncludes(path, ...values), 'requireClaimIncludes()')
/** 403 unless the (possibly async) predicate resolves to `true`. */
export const requirePolicy = (
  predicate: AuthPredicate<Request>,
  description?: string,
): RequestHandler => toHandler(policy(predicate, description), 'requirePolicy()')
/**
 * 401 `insufficient_user_authentication` (RFC 9470) unless the user's authentication behind the
 * token meets `rule`: `acr` one of the accepted values, and/or `auth_time` at most `maxAge`
 * seconds ago (by the gate's clock). The challenge names them (`acr_values`, `max_age`), so the
 * client can have the user authenticate again and retry. `rule` may be a function of `req.auth`
 * (its claims, its `user` record) and the request, answering `undefined` to require nothing more.
 *
 * @example
 * ```ts
 * // An admin must have used MFA within the last 10 minutes; others need nothing more.
 * app.post('/admin/keys', requireStepUp((auth) =>
 *   auth.user?.roles.includes('admin') ? { acr: ['urn:example:mfa'], maxAge: 600 } : undefined))
 * ```
 */
export const requireStepUp = (rule: StepUpRule<Request>): RequestHandler =>
  toHandler(stepUp(rule), 'requireStepUp()')
