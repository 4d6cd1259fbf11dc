/**
 * Unverified decoding of a compact JWS for display. Nothing decoded here is trusted: `inspect`
 * shows it, and verification is left to the core.
 *
 * @module
 */

/** What could be read from a token without verifying it. */
export interface DecodedToken {
  /** The protected header, when it is a base64url JSON object. */
  header: Record<string, unknown> | undefined
  /** The claims, when the payload is a base64url JSON object. */
  claims: Record<string, unknown> | undefined
  /** Length of the decoded signature in bytes (the signature itself is never shown). */
  signatureBytes: number
  /** Why the token could not be fully decoded, if it could not. */
  problems: string[]
}

/** Strips what people paste along with a token: whitespace, quotes, a `Bearer ` prefix. */
export function cleanTokenInput(input: string): string {
  return input
    .trim()
    .replace(/^(["'])(.*)\1$/s, '$2')
    .replace(/^Bearer\s+/i, '')
    .trim()
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) return undefined
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** Splits and decodes a compact token without verifying anything. */
export function decodeToken(token: string): DecodedToken {
  const parts = token.split('.')
  const problems: string[] = []
  if (parts.length === 5) {
    problems.push('five segments: an encrypted JWE, which jwt-gate never accepts')
  } else if (parts.length !== 3) {
    problems.push(`${parts.length} segment(s): a compact JWT has exactly three`)
  }
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts
  const header = decodeSegment(headerPart)
  if (header === undefined) problems.push('the header is not base64url-encoded JSON object')
  const claims = parts.length === 3 ? decodeSegment(payloadPart) : undefined
  if (parts.length === 3 && claims === undefined) {
    problems.push('the payload is not a base64url-encoded JSON object')
  }
  if (parts.length === 3 && signaturePart === '') {
    problems.push('no signature: an unsigned token, never accepted')
  }
  if (header !== undefined && String(header.alg).toLowerCase() === 'none') {
    problems.push('alg "none": an unsigned token, never accepted')
  }
  return {
    header,
    claims,
    signatureBytes: parts.length === 3 ? Buffer.from(signaturePart, 'base64url').length : 0,
    problems,
  }
}
