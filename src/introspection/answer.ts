/**
 * An introspection answer (RFC 7662 §2.2) read and checked: untrusted input until it passes. What
 * cannot be an answer (not an object, no boolean `active`, a member of the wrong type) is the
 * endpoint's failure, a 503; an active answer that contradicts the gate (another issuer, an `exp`
 * already past) refuses the token, a 401. Either way nothing passes on such an answer.
 *
 * @module
 */
import { InvalidTokenError, ServiceUnavailableError } from '../errors.js'
import { deepFreeze } from '../pipeline/verified-cache.js'

/** A checked answer: active with its claims, or inactive. */
export interface IntrospectionAnswer {
  readonly active: boolean
  /**
   * The answer's members but `active`, deep-frozen, with `iss` set to the issuer (an answer that
   * leaves it out speaks for the endpoint's own issuer). Undefined for an inactive answer.
   */
  readonly claims: Readonly<Record<string, unknown>> | undefined
}

const INACTIVE: IntrospectionAnswer = Object.freeze({ active: false, claims: undefined })

const STRING_MEMBERS = ['scope', 'client_id', 'username', 'token_type', 'sub', 'jti'] as const
const TIME_MEMBERS = ['exp', 'iat', 'nbf'] as const

/** The endpoint answered something that is not a usable answer: 503, never a pass. */
export function unusable(reason: string, cause?: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError(
    'ERR_AUTH_INTROSPECTION_UNAVAILABLE',
    'token introspection unavailable',
    { cause: cause ?? new Error(reason) },
  )
}

/** Whether `value` is a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Checks one answer of the endpoint of `issuer` at `nowMs` (epoch ms). Throws 503 for a malformed
 * answer, 401 for an active one about another issuer's token or an expired one.
 */
export function checkAnswer(raw: unknown, issuer: string, nowMs: number): IntrospectionAnswer {
  if (!isObject(raw)) throw unusable('the answer is not a JSON object')
  if (typeof raw.active !== 'boolean') throw unusable("the answer has no boolean 'active'")
  if (!raw.active) return INACTIVE
  for (const name of STRING_MEMBERS) {
    if (raw[name] !== undefined && typeof raw[name] !== 'string') {
      throw unusable(`the answer's '${name}' is not a string`)
    }
  }
  for (const name of TIME_MEMBERS) {
    const value = raw[name]
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw unusable(`the answer's '${name}' is not a number`)
    }
  }
  if (raw.iss !== undefined && raw.iss !== issuer) {
    throw new InvalidTokenError('ERR_AUTH_ISSUER_UNTRUSTED', 'introspection names another issuer')
  }
  // RFC 7662 §2.2 lets `active` stand alone; an `exp` already past contradicts it, so the earlier
  // of the two wins, without the clock tolerance (the endpoint's clock said so a moment ago).
  if (typeof raw.exp === 'number' && raw.exp * 1000 <= nowMs) {
    throw new InvalidTokenError('ERR_AUTH_TOKEN_EXPIRED', 'token expired')
  }
  const { active: _active, ...claims } = raw
  claims.iss = issuer
  return Object.freeze({ active: true, claims: deepFreeze(claims) })
}
