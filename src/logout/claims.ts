/**
 * The logout token's claims (OpenID Connect Back-Channel Logout 1.0 §2.4 and §2.6, steps 3-5),
 * checked after its signature: `iss` (chosen by it), `aud`, `iat` within the window, `exp` when
 * present, the back-channel logout event, `sid` and/or `sub`, no `nonce`, a `jti`. The shapes of
 * `aud` and of a NumericDate are the access tokens' (`claims/registered.ts`), with the logout
 * endpoint's own 400 descriptions.
 *
 * @module
 */
import { audienceNames, isNumericDate } from '../claims/registered.js'
import { LogoutTokenRejected } from './verify.js'

/** The member of `events` that makes a JWT a logout token. */
const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/** What a logout token asks, once its claims passed. */
export interface LogoutClaims {
  readonly iss: string
  readonly iat: number
  readonly jti: string
  readonly sid: string | undefined
  readonly sub: string | undefined
}

/** What the claims are checked against. */
export interface ClaimRules {
  readonly clientIds: ReadonlySet<string>
  /** Seconds since the epoch. */
  readonly now: number
  /** Seconds: how old `iat` may be. */
  readonly iatWindow: number
  /** Seconds: the issuer's clock tolerance, for `iat` in the future and `exp`. */
  readonly clockTolerance: number
}

function refuse(description: string): never {
  throw new LogoutTokenRejected(description)
}

function optionalString(payload: Record<string, unknown>, claim: string): string | undefined {
  const value = payload[claim]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') refuse(`invalid '${claim}'`)
  return value
}

function numericDate(payload: Record<string, unknown>, claim: string): number | undefined {
  const value = payload[claim]
  if (value === undefined) return undefined
  if (!isNumericDate(value)) refuse(`invalid '${claim}'`)
  return value
}

function checkAudience(aud: unknown, clientIds: ReadonlySet<string>): void {
  if (!audienceNames(aud, clientIds)) refuse("'aud' does not name this client")
}

function checkTimes(payload: Record<string, unknown>, rules: ClaimRules): number {
  const iat = numericDate(payload, 'iat') ?? refuse("missing 'iat'")
  if (iat > rules.now + rules.clockTolerance) refuse("'iat' is in the future")
  if (iat < rules.now - rules.iatWindow) refuse("'iat' is too old")
  const exp = numericDate(payload, 'exp')
  if (exp !== undefined && exp + rules.clockTolerance <= rules.now) refuse('logout token expired')
  return iat
}

/** §2.4: `events` holds the back-channel logout member, whose value is a JSON object. */
function checkEvent(events: unknown): void {
  if (typeof events !== 'object' || events === null || Array.isArray(events)) {
    refuse("missing or invalid 'events'")
  }
  const event = (events as Record<string, unknown>)[LOGOUT_EVENT]
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    refuse("'events' has no back-channel logout event")
  }
}

/** Checks the verified payload of a logout token; throws {@link LogoutTokenRejected}. */
export function checkLogoutClaims(
  payload: Record<string, unknown>,
  rules: ClaimRules,
): LogoutClaims {
  checkAudience(payload.aud, rules.clientIds)
  const iat = checkTimes(payload, rules)
  checkEvent(payload.events)
  // §2.4: a nonce is forbidden, so that an ID token can never pass for a logout token.
  if (payload.nonce !== undefined) refuse("a logout token carries no 'nonce'")
  const sid = optionalString(payload, 'sid')
  const sub = optionalString(payload, 'sub')
  if (sid === undefined && sub === undefined) refuse("neither 'sid' nor 'sub'")
  const jti = optionalString(payload, 'jti') ?? refuse("missing 'jti'")
  return { iss: payload.iss as string, iat, jti, sid, sub }
}
