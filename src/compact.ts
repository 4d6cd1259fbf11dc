/**
 * The strict compact-form gate, run before any crypto: length, three non-empty base64url segments
 * without padding or whitespace, canonical encoding, JSON objects for header and payload, and a
 * protected header that only uses what jwt-gate understands. The token is decoded here once.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 * @module
 */
import { InvalidTokenError } from './errors.js'
import { parseJsonObject } from './json.js'

/** A token that passed the compact-form gate; nothing in it is verified yet. */
export interface DecodedToken {
  readonly token: string
  readonly header: Record<string, unknown> & { alg: string }
  readonly payload: Record<string, unknown>
}

// RFC 7515 §2: BASE64URL without padding. Linear: one character class, anchored, no nesting.
const SEGMENT = /^[A-Za-z0-9_-]+$/

/** Header parameters whose presence changes how the JWS must be processed; all refused. */
const REFUSED_HEADER_PARAMETERS = ['crit', 'b64', 'zip', 'enc'] as const

const JWT_TYP = new Set(['jwt', 'application/jwt'])

function malformed(message: string): InvalidTokenError {
  return new InvalidTokenError('ERR_AUTH_TOKEN_MALFORMED', message)
}

function headerInvalid(message: string): InvalidTokenError {
  return new InvalidTokenError('ERR_AUTH_TOKEN_HEADER_INVALID', message)
}

/** Decodes one segment, refusing non-canonical encodings (stray trailing bits, bad lengths). */
function decodeSegment(segment: string): Buffer {
  if (segment.length % 4 === 1 || !SEGMENT.test(segment)) throw malformed('malformed token')
  const bytes = Buffer.from(segment, 'base64url')
  if (bytes.toString('base64url') !== segment) throw malformed('malformed token')
  return bytes
}

/**
 * Checks the compact serialisation and decodes header and payload.
 *
 * @param extraTyp - lower-cased `typ` values accepted besides `JWT` and `application/jwt`.
 */
export function decodeCompact(
  token: string,
  maxLength: number,
  extraTyp: ReadonlySet<string> = new Set(),
): DecodedToken {
  if (token.length > maxLength) {
    throw new InvalidTokenError('ERR_AUTH_TOKEN_TOO_LONG', 'token too long')
  }
  const parts = token.split('.')
  if (parts.length === 5) throw headerInvalid('encrypted tokens (JWE) are not accepted')
  if (parts.length !== 3) throw malformed('malformed token')
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string]
  if (headerPart === '' || payloadPart === '' || signaturePart === '') {
    throw malformed('malformed token')
  }
  const header = parseJsonObject(decodeSegment(headerPart))
  if (header === undefined) throw malformed('malformed token header')
  decodeSegment(signaturePart)
  checkHeader(header, extraTyp)
  const payload = parseJsonObject(decodeSegment(payloadPart))
  if (payload === undefined) throw malformed('malformed token payload')
  return { token, header: header as DecodedToken['header'], payload }
}

function checkHeader(header: Record<string, unknown>, extraTyp: ReadonlySet<string>): void {
  if (typeof header.alg !== 'string' || header.alg === '') throw headerInvalid('missing "alg"')
  if (header.alg.toLowerCase() === 'none') throw headerInvalid('unsecured tokens are not accepted')
  for (const name of REFUSED_HEADER_PARAMETERS) {
    if (name in header) throw headerInvalid(`unsupported "${name}" header parameter`)
  }
  if (header.typ !== undefined) {
    if (typeof header.typ !== 'string') throw headerInvalid('invalid "typ"')
    const typ = header.typ.toLowerCase()
    if (!JWT_TYP.has(typ) && !extraTyp.has(typ)) throw headerInvalid('unexpected "typ"')
  }
  if (header.cty !== undefined) {
    if (typeof header.cty !== 'string') throw headerInvalid('invalid "cty"')
    if (JWT_TYP.has(header.cty.toLowerCase())) throw headerInvalid('nested tokens are not accepted')
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') {
    throw headerInvalid('invalid "kid"')
  }
}
