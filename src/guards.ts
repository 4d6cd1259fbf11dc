/**
 * Framework-free authorization checks on an {@link AuthContext}. Each factory validates its
 * arguments at once (a TypeError at start-up) and returns a check that throws: 401 when the request
 * is not authenticated, 403 `insufficient_scope` when it is but is not allowed.
 *
 * @module
 */
import { CredentialsRequiredError, InsufficientScopeError } from './errors.js'
import type { AuthContext } from './context.js'
import { compilePath, readPath } from './claims/mapping.js'

/** A check; resolves (or returns) when allowed, throws an `AuthError` when not. */
export type AuthCheck<R = unknown> = (auth: AuthContext | undefined, req: R) => void | Promise<void>

/** A custom predicate for {@link policy}. */
export type AuthPredicate<R = unknown> = (auth: AuthContext, req: R) => boolean | Promise<boolean>

function nonEmptyStrings(values: readonly unknown[], what: string): readonly string[] {
  if (values.length === 0) throw new TypeError(`jwt-gate: ${what} needs at least one value`)
  for (const value of values) {
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`jwt-gate: ${what} takes non-empty strings`)
    }
  }
  return Object.freeze([...values] as string[])
}

function authenticated(auth: AuthContext | undefined): AuthContext {
  if (auth === undefined) throw new CredentialsRequiredError()
  return auth
}

/** Passes any authenticated request (for routes behind an optional `authenticate()`). */
export function isAuthenticated(): AuthCheck {
  return (auth) => {
    authenticated(auth)
  }
}

/** Requires every one of the roles. */
export function hasAllRoles(...roles: string[]): AuthCheck {
  const needed = nonEmptyStrings(roles, 'requireRoles()')
  return (auth) => {
    const held = authenticated(auth).roles
    if (!needed.every((role) => held.includes(role))) {
      throw new InsufficientScopeError('ERR_AUTH_ROLE_INSUFFICIENT', 'missing required role')
    }
  }
}

/** Requires at least one of the roles. */
export function hasAnyRole(...roles: string[]): AuthCheck {
  const accepted = nonEmptyStrings(roles, 'requireAnyRole()')
  return (auth) => {
    const held = authenticated(auth).roles
    if (!accepted.some((role) => held.includes(role))) {
      throw new InsufficientScopeError('ERR_AUTH_ROLE_INSUFFICIENT', 'missing required role')
    }
  }
}

/** Requires every one of the scopes; the challenge names them (RFC 6750 §3). */
export function hasAllScopes(...scopes: string[]): AuthCheck {
  const needed = nonEmptyStrings(scopes, 'requireScopes()')
  return (auth) => {
    const held = authenticated(auth).scopes
    if (!needed.every((scope) => held.includes(scope))) {
      throw new InsufficientScopeError('ERR_AUTH_SCOPE_INSUFFICIENT', 'insufficient scope', {
        scope: needed,
      })
    }
  }
}

/** Requires at least one of the scopes. */
export function hasAnyScope(...scopes: string[]): AuthCheck {
  const accepted = nonEmptyStrings(scopes, 'requireAnyScope()')
  return (auth) => {
    const held = authenticated(auth).scopes
    if (!accepted.some((scope) => held.includes(scope))) {
      throw new InsufficientScopeError('ERR_AUTH_SCOPE_INSUFFICIENT', 'insufficient scope', {
        scope: accepted,
      })
    }
  }
}

/** A value a claim guard compares with. */
export type ClaimValue = string | number | boolean

function claimValue(value: unknown, what: string): ClaimValue {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new TypeError(`jwt-gate: ${what} compares strings, numbers or booleans`)
  }
  return value
}

/** Requires the claim at `path` (e.g. `tenant` or `org.id`) to equal `expected`. */
export function claimEquals(path: string, expected: ClaimValue): AuthCheck {
  const compiled = compilePath(nonEmptyStrings([path], 'requireClaim()')[0]!)
  const value = claimValue(expected, 'requireClaim()')
  return (auth) => {
    if (readPath(authenticated(auth).claims, compiled) !== value) {
      throw new InsufficientScopeError('ERR_AUTH_CLAIM_MISMATCH', 'claim check failed')
    }
  }
}

/**
 * Requires the claim at `path` to include every value: an array claim, or a space-separated
 * string claim.
 */
export function claimIncludes(path: string, ...values: ClaimValue[]): AuthCheck {
  const compiled = compilePath(nonEmptyStrings([path], 'requireClaimIncludes()')[0]!)
  if (values.length === 0) throw new TypeError('jwt-gate: requireClaimIncludes() needs values')
  const needed = values.map((v) => claimValue(v, 'requireClaimIncludes()'))
  return (auth) => {
    const actual = readPath(authenticated(auth).claims, compiled)
    const list: unknown[] =
      typeof actual === 'string' ? actual.split(' ') : Array.isArray(actual) ? actual : []
    if (!needed.every((value) => list.includes(value))) {
      throw new InsufficientScopeError('ERR_AUTH_CLAIM_MISMATCH', 'claim check failed')
    }
  }
}

/** A custom, possibly async, predicate. `false` is a 403; an exception is the app's own error. */
export function policy<R>(
  predicate: AuthPredicate<R>,
  description = 'access denied',
): AuthCheck<R> {
  if (typeof predicate !== 'function')
    throw new TypeError('jwt-gate: requirePolicy() needs a function')
  return async (auth, req) => {
    if ((await predicate(authenticated(auth), req)) !== true) {
      throw new InsufficientScopeError('ERR_AUTH_POLICY_DENIED', description)
    }
  }
}
