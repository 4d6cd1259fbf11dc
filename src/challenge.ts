/**
 * The `WWW-Authenticate` challenge of RFC 6750 §3: its parameters and the quoting rule for their
 * values. Apart from the error classes because challenges grow with the standards a resource
 * server speaks (each new parameter lands here).
 *
 * @module
 */

/** The RFC 6750 §3.1 `error` attribute values. */
export type BearerErrorValue =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'insufficient_user_authentication'

/** What a step-up challenge asks for (RFC 9470 §3): an authentication level, a recent one, or both. */
export interface StepUpChallenge {
  /** `acr_values`: the authentication context classes that would do, in order of preference. */
  readonly acrValues: readonly string[] | undefined
  /** `max_age`: how many seconds ago the user may have authenticated at most. */
  readonly maxAge: number | undefined
}

/**
 * What a gate with DPoP (RFC 9449 §7.1) adds to its challenges: the `DPoP` scheme with the proof
 * algorithms it accepts, alone (mode `required`) or after the `Bearer` one (mode `allowed`).
 */
export interface DpopChallenge {
  readonly algs: string
  readonly bearerToo: boolean
}

/** What a challenge says besides its realm and error. */
export interface ChallengeDetails {
  /** `error_description`, with an error only. */
  readonly description?: string | undefined
  readonly scope?: readonly string[] | undefined
  /** RFC 9728 `resource_metadata`. */
  readonly resourceMetadata?: string | undefined
  /** RFC 9470 `acr_values` and `max_age`, with an error only. */
  readonly stepUp?: StepUpChallenge | undefined
}

/**
 * Builds an RFC 6750 §3 `WWW-Authenticate` challenge, with the RFC 9728 §5.1 `resource_metadata`
 * parameter when the gate has a `resource`: the URL of its protected-resource metadata, from which
 * a client (an MCP client, say) learns where to get a token.
 *
 * Quoted-string values may not contain `"` or `\`, and RFC 6750 restricts `error_description` to
 * printable ASCII without them, so anything else is replaced rather than escaped.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
 */
export function buildChallenge(
  realm: string,
  error?: BearerErrorValue,
  details: ChallengeDetails = {},
): string {
  const { description, scope, resourceMetadata, stepUp } = details
  const params = [`realm="${quoteSafe(realm)}"`]
  // A parsed URL (options/resolve.ts) carries no `"` or `\`: quoteSafe changes nothing in it.
  if (resourceMetadata !== undefined)
    params.push(`resource_metadata="${quoteSafe(resourceMetadata)}"`)
  if (error !== undefined) params.push(`error="${error}"`)
  if (error !== undefined && description !== undefined)
    params.push(`error_description="${quoteSafe(description)}"`)
  if (scope !== undefined && scope.length > 0) params.push(`scope="${quoteSafe(scope.join(' '))}"`)
  if (error !== undefined && stepUp !== undefined) params.push(...stepUpParams(stepUp))
  return `Bearer ${params.join(', ')}`
}

/** RFC 9470 §3: `acr_values` quoted and space-separated, `max_age` a bare number of seconds. */
function stepUpParams({ acrValues, maxAge }: StepUpChallenge): string[] {
  const params: string[] = []
  if (acrValues !== undefined && acrValues.length > 0) {
    params.push(`acr_values="${quoteSafe(acrValues.join(' '))}"`)
  }
  if (maxAge !== undefined) params.push(`max_age=${maxAge}`)
  return params
}

/** What an error's challenge is built from (an `AuthError`'s members). */
export interface ChallengeParts {
  readonly realm: string
  readonly error: BearerErrorValue | undefined
  readonly message: string
  readonly scope: readonly string[] | undefined
  readonly resourceMetadata: string | undefined
  readonly dpop: { readonly challenge: DpopChallenge; readonly used: boolean } | undefined
}

/**
 * The `WWW-Authenticate` value of an error: `Bearer`, or with DPoP the challenges below; a
 * step-up error adds its parameters to the challenge that carries the error.
 */
export function errorChallenge(parts: ChallengeParts, stepUp?: StepUpChallenge): string {
  const { realm, error, message, scope, resourceMetadata, dpop } = parts
  const details = { description: message, scope, resourceMetadata, stepUp }
  if (dpop === undefined) return buildChallenge(realm, error, details)
  return buildDpopChallenges(dpop.challenge, dpop.used, realm, error, details)
}

/**
 * The challenges of a gate with DPoP: the error goes to the scheme the request used (a DPoP
 * error only to `DPoP`, a bearer error to `Bearer` when the gate still accepts it), and the
 * `DPoP` challenge always names the accepted algorithms (`algs`, RFC 9449 §7.1).
 */
export function buildDpopChallenges(
  dpop: DpopChallenge,
  usedDpop: boolean,
  realm: string,
  error?: BearerErrorValue,
  details: ChallengeDetails = {},
): string {
  const dpopError = error === 'invalid_dpop_proof' || error === 'use_dpop_nonce'
  const toDpop = dpopError || usedDpop || !dpop.bearerToo
  const dpopChallenge = buildChallenge(realm, toDpop ? error : undefined, details).replace(
    /^Bearer /,
    'DPoP ',
  )
  const withAlgs = `${dpopChallenge}, algs="${quoteSafe(dpop.algs)}"`
  if (!dpop.bearerToo) return withAlgs
  const bearer = buildChallenge(realm, toDpop ? undefined : error, details)
  return `${bearer}, ${withAlgs}`
}

/** Characters a challenge's quoted-string may not carry (see {@link buildChallenge}). */
const NOT_QUOTE_SAFE = /[^\x20-\x21\x23-\x5b\x5d-\x7e]/g

function quoteSafe(value: string): string {
  return value.replace(NOT_QUOTE_SAFE, '?')
}

/**
 * Whether a message reaches the client unaltered in `error_description`. Every message jwt-gate
 * writes is (test/unit/error-messages.test.ts); an app's own description is checked at start-up.
 */
export function isChallengeSafe(text: string): boolean {
  return text.replace(NOT_QUOTE_SAFE, '') === text
}
