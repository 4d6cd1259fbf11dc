/**
 * Checks of the registered claims (RFC 7519 §4.1) after the signature is verified: issuer,
 * audience, the three NumericDates with clock tolerance, maximum age, subject and `jti` types, and
 * an issuer profile's required claims.
 * jwt-gate does these itself rather than through jose so that each failure keeps its own code and
 * so that NumericDates are held to finite numbers inside the Date range.
 *
 * @module
 */
import { InvalidTokenError } from '../errors.js'

/** The registered-claim rules of one issuer. */
export interface RegisteredClaimPolicy {
  /** Exact `iss`, or null when the issuer's tokens carry none. */
  issuer: string | null
  audience: ReadonlySet<string> | undefined
  /** Seconds. */
  clockTolerance: number
  /** Seconds. */
  maxTokenAge: number | undefined
  requireExpiry: boolean
  /**
   * The issuer profile's claim rules (RFC 9068's required claims, see `access-token-profile.ts`),
   * run right after the issuer rule, so a missing claim is named before any check uses it.
   */
  profileClaims?: ((payload: Readonly<Record<string, unknown>>) => void) | undefined
}

/** ECMAScript Dates span ±8.64e15 ms; a NumericDate outside that cannot be compared safely. */
const MAX_NUMERIC_DATE = 8.64e12

function invalid(code: InvalidTokenError['code'], message: string): InvalidTokenError {
  return new InvalidTokenError(code, message)
}

/**
 * The issuer rule, its one home: `iss` is exactly a trusted issuer's value, or absent for the
 * issuer configured with `issuer: null`. Applied twice: {@link selectTrustedIssuer} picks the
 * issuer by the still unverified `iss` (it only chooses among configured issuers, never brings in
 * a key), and {@link checkRegisteredClaims} states it again for the verified claims of that
 * issuer.
 */
function issuerMatches(iss: unknown, issuer: string | null): boolean {
  return issuer === null ? iss === undefined : iss === issuer
}

/**
 * The configured issuer that the unverified `iss` names: looked up by value, or the `issuer: null`
 * one when there is no `iss`. Throws `ERR_AUTH_ISSUER_UNTRUSTED` when none matches.
 */
export function selectTrustedIssuer<T extends { readonly issuer: string | null }>(
  payload: Record<string, unknown>,
  byIss: ReadonlyMap<string, T>,
  withoutIss: T | undefined,
): T {
  const iss = payload.iss
  const issuer =
    typeof iss === 'string' ? byIss.get(iss) : iss === undefined ? withoutIss : undefined
  if (issuer === undefined || !issuerMatches(iss, issuer.issuer)) {
    throw invalid('ERR_AUTH_ISSUER_UNTRUSTED', 'untrusted issuer')
  }
  return issuer
}

/** A NumericDate jwt-gate compares: a finite number of seconds inside the Date range. */
export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_NUMERIC_DATE
}

function numericDate(payload: Record<string, unknown>, claim: string): number | undefined {
  const value = payload[claim]
  if (value === undefined) return undefined
  if (!isNumericDate(value)) throw invalid('ERR_AUTH_CLAIMS_INVALID', `invalid '${claim}' claim`)
  return value
}

/**
 * Throws an {@link InvalidTokenError} with a specific code for the first failed rule.
 *
 * @param now - current time in seconds since the epoch
 */
export function checkRegisteredClaims(
  payload: Record<string, unknown>,
  policy: RegisteredClaimPolicy,
  now: number,
): void {
  if (!issuerMatches(payload.iss, policy.issuer)) {
    throw invalid('ERR_AUTH_ISSUER_UNTRUSTED', 'untrusted issuer')
  }
  policy.profileClaims?.(payload)
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw invalid('ERR_AUTH_CLAIMS_INVALID', "'sub' claim must be a non-empty string")
  }
  if (payload.jti !== undefined && (typeof payload.jti !== 'string' || payload.jti === '')) {
    throw invalid('ERR_AUTH_CLAIMS_INVALID', "invalid 'jti' claim")
  }

  const exp = numericDate(payload, 'exp')
  const nbf = numericDate(payload, 'nbf')
  const iat = numericDate(payload, 'iat')
  if (exp === undefined && policy.requireExpiry) {
    throw invalid('ERR_AUTH_CLAIMS_INVALID', "missing 'exp' claim")
  }
  if (policy.maxTokenAge !== undefined && iat === undefined) {
    throw invalid('ERR_AUTH_CLAIMS_INVALID', "missing 'iat' claim")
  }
  checkTimes(exp, nbf, iat, policy, now)

  if (policy.audience !== undefined) checkAudience(payload.aud, policy.audience)
}

/**
 * Whether `aud` names one of `expected`: `aud` must be a string or a non-empty array of strings
 * (RFC 7519 §4.1.3); any other shape names nobody, even beside a matching value.
 */
export function audienceNames(aud: unknown, expected: ReadonlySet<string>): boolean {
  const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : undefined
  if (values === undefined || values.length === 0 || !values.every((v) => typeof v === 'string')) {
    return false
  }
  return values.some((v) => expected.has(v))
}

function checkAudience(aud: unknown, expected: ReadonlySet<string>): void {
  if (!audienceNames(aud, expected)) {
    throw invalid('ERR_AUTH_AUDIENCE_INVALID', "unexpected 'aud' claim value")
  }
}

/**
 * The time rules: expiry, not-before, issued-in-the-future and maximum age, each with the clock
 * tolerance. Shared by the full check and by the re-check of a cached token, so a cached token
 * stops passing the moment any of them would refuse it.
 */
function checkTimes(
  exp: number | undefined,
  nbf: number | undefined,
  iat: number | undefined,
  policy: RegisteredClaimPolicy,
  now: number,
): void {
  const tolerance = policy.clockTolerance
  if (exp !== undefined && exp <= now - tolerance) {
    throw invalid('ERR_AUTH_TOKEN_EXPIRED', 'token expired')
  }
  if (nbf !== undefined && nbf > now + tolerance) {
    throw invalid('ERR_AUTH_TOKEN_NOT_YET_VALID', 'token not yet valid')
  }
  if (iat !== undefined && iat > now + tolerance) {
    throw invalid('ERR_AUTH_TOKEN_ISSUED_IN_FUTURE', 'token issued in the future')
  }
  if (
    policy.maxTokenAge !== undefined &&
    iat !== undefined &&
    now - iat > policy.maxTokenAge + tolerance
  ) {
    throw invalid('ERR_AUTH_TOKEN_TOO_OLD', 'token too old')
  }
}

/**
 * Re-checks the time rules for a token whose verification result was cached (its NumericDates
 * were validated when it was first verified).
 */
export function checkTimeWindow(
  payload: Readonly<Record<string, unknown>>,
  policy: RegisteredClaimPolicy,
  now: number,
): void {
  const { exp, nbf, iat } = payload as { exp?: number; nbf?: number; iat?: number }
  checkTimes(exp, nbf, iat, policy, now)
}
