/**
 * The step-up check behind `requireStepUp()` (RFC 9470): the user's authentication behind the
 * token must be of one of the required classes (`acr`) and/or recent enough (`auth_time` within
 * `maxAge` seconds, measured with the gate's clock). Kept free of Express like `guards.ts`.
 *
 * @module
 */
import { isChallengeSafe } from '../challenge.js'
import { AuthConfigError, CredentialsRequiredError } from '../errors.js'
import type { AuthCheck } from '../guards.js'
import type { AuthContext } from '../context/types.js'
import { RequestAuthContext } from '../context/auth-context.js'
import { InsufficientUserAuthenticationError } from './errors.js'

/** What a route requires of the user's authentication. At least one member. */
export interface StepUpRequirement {
  /** Accepted `acr` values: the token's `acr` must be one of them (e.g. `['urn:example:mfa']`). */
  acr?: readonly string[] | undefined
  /** The token's `auth_time` may be at most this many seconds ago (0 to 31536000). */
  maxAge?: number | undefined
}

/**
 * A route's requirement: fixed, or decided per request from `req.auth` (its claims, its `user`
 * record from the user store) and the request; `undefined` requires nothing more.
 */
export type StepUpRule<R = unknown> =
  | StepUpRequirement
  | ((
      auth: AuthContext,
      req: R,
    ) => StepUpRequirement | undefined | Promise<StepUpRequirement | undefined>)

/** A requirement as checked: its members validated, `acr` frozen. */
interface CheckedRequirement {
  readonly acr: readonly string[] | undefined
  readonly maxAge: number | undefined
}

const GUARD = 'requireStepUp()'
const MAX_AGE_LIMIT = 31_536_000

/** RFC 9470 §3 / OpenID Connect: `acr_values` is space-separated, so one value has no space. */
function checkAcrValues(acr: unknown): readonly string[] | undefined {
  if (acr === undefined) return undefined
  const valid =
    Array.isArray(acr) &&
    acr.length > 0 &&
    acr.every(
      (value) => typeof value === 'string' && /^[^\s]+$/.test(value) && isChallengeSafe(value),
    )
  if (!valid) {
    throw new AuthConfigError(
      `${GUARD} acr`,
      'must be a non-empty array of acr values (printable ASCII without spaces, quotes or backslashes)',
    )
  }
  return Object.freeze([...(acr as string[])])
}

/** Checks a requirement (at start-up for a fixed one, per request for a function's answer). */
function checkRequirement(requirement: unknown): CheckedRequirement {
  if (typeof requirement !== 'object' || requirement === null) {
    throw new AuthConfigError(
      GUARD,
      'needs { acr } and/or { maxAge }, or a function returning them',
    )
  }
  const { acr, maxAge } = requirement as StepUpRequirement
  const acrValues = checkAcrValues(acr)
  if (
    maxAge !== undefined &&
    (typeof maxAge !== 'number' ||
      !Number.isInteger(maxAge) ||
      maxAge < 0 ||
      maxAge > MAX_AGE_LIMIT)
  ) {
    throw new AuthConfigError(
      `${GUARD} maxAge`,
      `must be a whole number of seconds from 0 to ${MAX_AGE_LIMIT}`,
    )
  }
  if (acrValues === undefined && maxAge === undefined) {
    throw new AuthConfigError(GUARD, 'needs acr and/or maxAge')
  }
  return { acr: acrValues, maxAge }
}

/** Throws the step-up error when `auth` does not meet `requirement`. */
function enforce(auth: AuthContext, requirement: CheckedRequirement): void {
  const { acr, maxAge } = requirement
  const claims = auth.claims as Readonly<Record<string, unknown>>
  let problem: string | undefined
  if (acr !== undefined && !acr.includes(claims.acr as string)) {
    problem = 'authentication level insufficient'
  } else if (maxAge !== undefined) {
    const authTime = claims.auth_time
    const nowSeconds = (RequestAuthContext.nowOf(auth) ?? Date.now()) / 1000
    if (typeof authTime !== 'number' || !Number.isFinite(authTime)) {
      problem = 'authentication time unknown'
    } else if (nowSeconds - authTime > maxAge) problem = 'authentication too old'
  }
  if (problem !== undefined) {
    throw new InsufficientUserAuthenticationError(problem, { acrValues: acr, maxAge })
  }
}

/** The check of `requireStepUp(rule)`; a fixed rule is checked now, a function's answer per request. */
export function stepUp<R>(rule: StepUpRule<R>): AuthCheck<R> {
  if (typeof rule !== 'function') {
    const requirement = checkRequirement(rule)
    return (auth) => {
      if (auth === undefined) throw new CredentialsRequiredError()
      enforce(auth, requirement)
    }
  }
  return async (auth, req) => {
    if (auth === undefined) throw new CredentialsRequiredError()
    const answer = await rule(auth, req)
    if (answer !== undefined) enforce(auth, checkRequirement(answer))
  }
}
