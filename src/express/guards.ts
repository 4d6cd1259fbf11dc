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
import { isAuthError } from '../errors.js'
import { getRealm } from './realm.js'

function toHandler(check: AuthCheck<Request>): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const fail = (error: unknown): void => {
      if (isAuthError(error)) error.realm = getRealm(req) ?? error.realm
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

/** 401 unless the request is authenticated (for routes behind `credentials: 'optional'`). */
export const requireAuth = (): RequestHandler => toHandler(isAuthenticated())
/** 403 unless `req.auth.roles` holds every one of `roles`. */
export const requireRoles = (...roles: string[]): RequestHandler => toHandler(hasAllRoles(...roles))
/** 403 unless `req.auth.roles` holds at least one of `roles`. */
export const requireAnyRole = (...roles: string[]): RequestHandler =>
  toHandler(hasAnyRole(...roles))
/** 403 `insufficient_scope` (naming the scopes) unless every scope is held. */
export const requireScopes = (...scopes: string[]): RequestHandler =>
  toHandler(hasAllScopes(...scopes))
/** 403 `insufficient_scope` unless at least one of the scopes is held. */
export const requireAnyScope = (...scopes: string[]): RequestHandler =>
  toHandler(hasAnyScope(...scopes))
/**
 * 403 unless the claim at `path` equals `value`. `path` is a claim name, tried whole first
 * (`https://example.com/tenant`), then as a dotted path (`org.id`); an array names exact segments.
 */
export const requireClaim = (path: ClaimPath, value: ClaimValue): RequestHandler =>
  toHandler(claimEquals(path, value))
/** 403 unless the claim at `path` (named as in {@link requireClaim}) includes every value. */
export const requireClaimIncludes = (path: ClaimPath, ...values: ClaimValue[]): RequestHandler =>
  toHandler(claimIncludes(path, ...values))
/** 403 unless the (possibly async) predicate resolves to `true`. */
export const requirePolicy = (
  predicate: AuthPredicate<Request>,
  description?: string,
): RequestHandler => toHandler(policy(predicate, description))
