/**
 * The `WWW-Authenticate` challenge of RFC 6750 §3: its parameters and the quoting rule for their
 * values. Apart from the error classes because challenges grow with the standards a resource
 * server speaks (each new parameter lands here).
 *
 * @module
 */

/** The RFC 6750 §3.1 `error` attribute values. */
export type BearerErrorValue = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

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
  description?: string,
  scope?: readonly string[],
  resourceMetadata?: string,
): string {
  const params = [`realm="${quoteSafe(realm)}"`]
  // A parsed URL (options/resolve.ts) carries no `"` or `\`: quoteSafe changes nothing in it.
  if (resourceMetadata !== undefined)
    params.push(`resource_metadata="${quoteSafe(resourceMetadata)}"`)
  if (error !== undefined) params.push(`error="${error}"`)
  if (error !== undefined && description !== undefined)
    params.push(`error_description="${quoteSafe(description)}"`)
  if (scope !== undefined && scope.length > 0) params.push(`scope="${quoteSafe(scope.join(' '))}"`)
  return `Bearer ${params.join(', ')}`
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
