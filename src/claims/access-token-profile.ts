/**
 * The JWT access-token profile of RFC 9068 (an issuer's `profile: 'rfc9068'`), every rule of it in
 * one place: the `typ` it demands, the claims each access token must carry and their types, the
 * form of `scope`, and the SCIM-style claims it reads roles from. The options schema refuses the
 * options that would contradict it (an unchecked audience, no `iss`, no `exp`, other `typ`s).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068
 * @module
 */
import { InvalidTokenError } from '../errors.js'
import type { TypRule } from '../jws/compact.js'
import { compilePath } from './mapping.js'
import type { CompiledPath, RolesPath } from './mapping.js'

/** The issuer profiles jwt-gate knows. */
export type TokenProfile = 'rfc9068'

/**
 * RFC 9068 §4: `at+jwt` (or `application/at+jwt`, in any case) and nothing else. A token with
 * `typ: JWT` or without `typ`, such as an ID token of the same issuer, is not an access token.
 */
const AT_JWT: TypRule = Object.freeze({ accepted: new Set(['at+jwt']), plainJwt: false })

const isNonEmptyString = (value: unknown): boolean => typeof value === 'string' && value !== ''

/** A number; its range is the NumericDate check's (`registered.ts`), which runs next. */
const isNumber = (value: unknown): boolean => typeof value === 'number'

/** A non-empty string, or a non-empty array of them (RFC 7519 §4.1.3). */
const isAudience = (value: unknown): boolean =>
  isNonEmptyString(value) ||
  (Array.isArray(value) && value.length > 0 && value.every(isNonEmptyString))

/** RFC 9068 §2.2: the claims an access token must carry, each with the type it must have. */
const REQUIRED_CLAIMS: ReadonlyArray<readonly [string, (value: unknown) => boolean]> = [
  ['iss', isNonEmptyString],
  ['exp', isNumber],
  ['aud', isAudience],
  ['sub', isNonEmptyString],
  ['client_id', isNonEmptyString],
  ['iat', isNumber],
  ['jti', isNonEmptyString],
]

/**
 * `scope` (RFC 9068 §2.2.3, RFC 6749 §3.3): one string of scope tokens separated by spaces, each
 * token printable ASCII but `"` and `\`. Runs of spaces are tolerated, as `readScopes` splits them.
 */
const SCOPE_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

function invalid(message: string): InvalidTokenError {
  return new InvalidTokenError('ERR_AUTH_CLAIMS_INVALID', message)
}

/**
 * The profile's claim rules, run with the registered claims (before their time and audience
 * checks): each required claim present and of its type, and `scope`, when present, a string.
 */
function checkAccessTokenClaims(payload: Readonly<Record<string, unknown>>): void {
  for (const [claim, valid] of REQUIRED_CLAIMS) {
    const value = Object.hasOwn(payload, claim) ? payload[claim] : undefined
    if (value === undefined) throw invalid(`missing '${claim}' claim`)
    if (!valid(value)) throw invalid(`invalid '${claim}' claim`)
  }
  const scope = Object.hasOwn(payload, 'scope') ? payload.scope : undefined
  if (scope !== undefined && (typeof scope !== 'string' || !SCOPE_STRING.test(scope))) {
    throw invalid("invalid 'scope' claim")
  }
}

/** What a profile sets of an issuer's rules; an explicit `rolesClaim` or `scopesClaim` wins. */
export interface ProfileRules {
  readonly typ: TypRule
  readonly checkClaims: (payload: Readonly<Record<string, unknown>>) => void
  /** RFC 9068 §2.2.3.1: `roles`, `groups` and `entitlements` (SCIM, RFC 7643 §4.1.2), merged. */
  readonly rolesPath: RolesPath
  /** RFC 9068 §2.2.3: the `scope` claim only. */
  readonly scopesPaths: readonly CompiledPath[]
}

const RFC9068: ProfileRules = Object.freeze({
  typ: AT_JWT,
  checkClaims: checkAccessTokenClaims,
  rolesPath: Object.freeze({
    merge: Object.freeze(['roles', 'groups', 'entitlements'].map((name) => compilePath(name))),
  }),
  scopesPaths: Object.freeze([compilePath('scope')]),
})

/** The rules of `profile`, or undefined for an issuer without one. */
export function profileRules(profile: TokenProfile | undefined): ProfileRules | undefined {
  return profile === 'rfc9068' ? RFC9068 : undefined
}
