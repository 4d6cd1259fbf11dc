/**
 * The authorization checks behind the Express guards (`express/guards.ts`), kept free of Express so
 * that each rule is readable on its own. Internal: the public vocabulary is the `require*` guards.
 * Each factory validates its arguments at once (an {@link AuthConfigError}, a TypeError, at
 * start-up) and returns a check that throws: 401 when the request is not authenticated, 403
 * `insufficient_scope` when it is but is not allowed.
 *
 * @module
 */
import { isChallengeSafe } from './challenge.js'
import { AuthConfigError, CredentialsRequiredError, InsufficientScopeError } from './errors.js'
import type { AuthContext } from './context/types.js'
import { compilePath, isClaimPath, readPath } from './claims/mapping.js'
import { recordGuardScopes } from './metadata/scopes.js'
import type { ClaimPath, CompiledPath } from './claims/mapping.js'

/** A check; resolves (or returns) when allowed, throws an `AuthError` when not. */
export type AuthCheck<R = unknown> = (auth: AuthContext | undefined, req: R) => void | Promise<void>

/** A custom predicate for {@link policy}. */
export type AuthPredicate<R = unknown> = (auth: AuthContext, req: R) => boolean | Promise<boolean>

function nonEmptyStrings(values: readonly unknown[], guard: string): readonly string[] {
  if (values.length === 0) throw new AuthConfigError(guard, 'needs at least one value')
  values.forEach((value, index) => {
    if (typeof value !== 'string' || value === '') {
      throw new AuthConfigError(`${guard} argument ${index + 1}`, 'must be a non-empty string')
    }
  })
  return Object.freeze([...values] as string[])
}

/** RFC 6749 §3.3 `scope-token`: printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/**
 * Scopes as the guard will compare them. A space-delimited list in one argument would never match
 * a single held scope, so it is refused rather than silently denying every request. Once valid,
 * they are recorded for the protected-resource metadata's `scopes_supported`.
 */
function scopeTokens(values: readonly unknown[], guard: string): readonly string[] {
  const scopes = nonEmptyStrings(values, guard)
  scopes.forEach((scope, index) => {
    if (!SCOPE_TOKEN.test(scope)) {
      throw new AuthConfigError(
        `${guard} argument ${index + 1}`,
        'is not one scope (RFC 6749 §3.3: no spaces, quotes or backslashes); ' +
          'pass each scope as its own argument',
      )
    }
  })
  recordGuardScopes(scopes)
  return scopes
}

function claimPath(path: unknown, guard: string): CompiledPath {
  if (!isClaimPath(path)) {
    throw new AuthConfigError(
      `${guard} path`,
      'must be a non-empty string or an array of non-empty strings',
    )
  }
  return compilePath(path)
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

/**
 * The one shape of the role and scope guards: the request's list (roles or scopes) holds `every`
 * one or `some` of the wanted values, or the guard throws `refuse()`.
 */
function holds(
  wanted: readonly string[],
  mode: 'every' | 'some',
  list: 'roles' | 'scopes',
  refuse: () => InsufficientScopeError,
): AuthCheck {
  return (auth) => {
    const held = authenticated(auth)[list]
    if (!wanted[mode]((value) => held.includes(value))) throw refuse()
  }
}

function missingRole(): InsufficientScopeError {
  return new InsufficientScopeError('ERR_AUTH_ROLE_INSUFFICIENT', 'missing required role')
}

/** The challenge names the scopes (RFC 6750 §3). */
function missingScope(scope: readonly string[]): () => InsufficientScopeError {
  return () =>
    new InsufficientScopeError('ERR_AUTH_SCOPE_INSUFFICIENT', 'insufficient scope', { scope })
}

/** Requires every one of the roles. */
export function hasAllRoles(...roles: string[]): AuthCheck {
  return holds(nonEmptyStrings(roles, 'requireRoles()'), 'every', 'roles', missingRole)
}

/** Requires at least one of the roles. */
export function hasAnyRole(...roles: string[]): AuthCheck {
  return holds(nonEmptyStrings(roles, 'requireAnyRole()'), 'some', 'roles', missingRole)
}

/** Requires every one of the scopes; the challenge names them (RFC 6750 §3). */
export function hasAllScopes(...scopes: string[]): AuthCheck {
  const needed = scopeTokens(scopes, 'requireScopes()')
  return holds(needed, 'every', 'scopes', missingScope(needed))
}

/** Requires at least one of the scopes. */
export function hasAnyScope(...scopes: string[]): AuthCheck {
  const accepted = scopeTokens(scopes, 'requireAnyScope()')
  return holds(accepted, 'some', 'scopes', missingScope(accepted))
}

/** A value a claim guard compares with (a JSON scalar). */
export type ClaimValue = string | number | boolean | null

function claimValues(values: readonly unknown[], guard: string): ClaimValue[] {
  if (values.length === 0) throw new AuthConfigError(guard, 'needs at least one value')
  return values.map((value, index) => {
    if (
      value !== null &&
      typeof value !== 'string' &&
      typeof value !== 'number' &&
      typeof value !== 'boolean'
    ) {
      throw new AuthConfigError(
        `${guard} value ${index + 1}`,
        'must be a string, a number, a boolean or null',
      )
    }
    return value
  })
}

/**
 * Requires the claim at `path` to equal `expected`. `path` is a claim name, tried whole first
 * (`https://example.com/tenant`), then as a dotted path (`org.id`); an array names exact segments.
 * An absent claim equals nothing, not even `null`.
 */
export function claimEquals(path: ClaimPath, expected: ClaimValue): AuthCheck {
  const compiled = claimPath(path, 'requireClaim()')
  const [value] = claimValues([expected], 'requireClaim()')
  return (auth) => {
    if (readPath(authenticated(auth).claims, compiled) !== value) {
      throw new InsufficientScopeError('ERR_AUTH_CLAIM_MISMATCH', 'claim check failed')
    }
  }
}

/**
 * Requires the claim at `path` (named as in {@link claimEquals}) to include every value: an array
 * claim, or a space-separated string claim.
 */
export function claimIncludes(path: ClaimPath, ...values: ClaimValue[]): AuthCheck {
  const compiled = claimPath(path, 'requireClaimIncludes()')
  const needed = claimValues(values, 'requireClaimIncludes()')
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
  if (typeof predicate !== 'function') {
    throw new AuthConfigError('requirePolicy() predicate', 'must be a function')
  }
  if (typeof description !== 'string' || description === '' || !isChallengeSafe(description)) {
    throw new AuthConfigError(
      'requirePolicy() description',
      'must be a non-empty printable ASCII phrase without double quotes or backslashes ' +
        '(it is sent in WWW-Authenticate)',
    )
  }
  return async (auth, req) => {
    if ((await predicate(authenticated(auth), req)) !== true) {
      throw new InsufficientScopeError('ERR_AUTH_POLICY_DENIED', description)
    }
  }
}
