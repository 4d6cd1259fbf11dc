/**
 * The strict compact-form gate, run before any crypto: length, three non-empty base64url segments
 * without padding or whitespace, canonical encoding, JSON objects for header and payload, and a
 * protected header that only uses what jwt-gate understands. The token is decoded here once.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 * @module
 */
import { InvalidTokenError } from '../errors.js'
import { parseJsonObject } from './json.js'

/**
 * A token that passed the compact-form gate; nothing in it is verified yet. Header and payload are
 * deep-frozen.
 */
export interface DecodedToken {
  readonly token: string
  readonly header: Record<string, unknown> & { alg: string }
  readonly payload: Record<string, unknown>
  /** The signature bytes, decoded once here for the signature check. */
  readonly signature: Buffer
  /** Whether the header came from {@link KnownHeaders} (it was not decoded again). */
  readonly knownHeader: boolean
}

/** Header parameters whose presence changes how the JWS must be processed; all refused. */
const REFUSED_HEADER_PARAMETERS = ['crit', 'b64', 'zip', 'enc'] as const

const JWT_TYP = 'jwt'

function malformed(message: string): InvalidTokenError {
  return new InvalidTokenError('ERR_AUTH_TOKEN_MALFORMED', message)
}

/**
 * A `typ` (or `cty`) value in the form jwt-gate compares: lower-cased, without an `application/`
 * prefix when no other `/` follows it. RFC 7515 §4.1.9 makes `at+jwt` and `application/at+jwt`
 * the same type, compared without regard to case. Applied to configured values and to headers.
 */
export function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase()
  const rest = lower.startsWith('application/') ? lower.slice('application/'.length) : lower
  return rest.includes('/') ? lower : rest
}

/** The `typ` values one issuer accepts. */
export interface TypRule {
  /** Normalised `typ` values accepted (see {@link normalizeTyp}). */
  readonly accepted: ReadonlySet<string>
  /**
   * Whether a token without `typ`, or with `typ: JWT`, is accepted too: true unless the issuer
   * follows RFC 9068, whose access tokens must say `at+jwt` (an ID token says `JWT` or nothing).
   */
  readonly plainJwt: boolean
}

/** The rule of an issuer without a profile: plain JWTs, and the `extraTyp` values. */
export function plainJwtRule(extraTyp: ReadonlySet<string>): TypRule {
  return { accepted: extraTyp, plainJwt: true }
}

/** Whether a `typ` header value (`undefined` when absent) is accepted by `rule`. */
function typAccepted(typ: string | undefined, rule: TypRule): boolean {
  if (typ === undefined) return rule.plainJwt
  const normalized = normalizeTyp(typ)
  return normalized === JWT_TYP ? rule.plainJwt : rule.accepted.has(normalized)
}

function headerInvalid(message: string): InvalidTokenError {
  return new InvalidTokenError('ERR_AUTH_TOKEN_HEADER_INVALID', message)
}

/**
 * Decodes one segment, refusing anything but the canonical unpadded base64url of some bytes
 * (RFC 7515 §2, RFC 4648 §3.5): a character outside the alphabet, padding, whitespace, a length of
 * 1 mod 4, or stray low bits in the last character. Node's decoder skips what it does not
 * understand, so the decoded bytes are encoded again: exactly the canonical encodings come back
 * unchanged. Both directions are linear native loops, cheaper than a regular expression over the
 * segment (an RS256 signature is 342 characters).
 */
function decodeSegment(segment: string): Buffer {
  const bytes = Buffer.from(segment, 'base64url')
  if (bytes.toString('base64url') !== segment) throw malformed('malformed token')
  return bytes
}

/**
 * A flat copy of an ASCII string (all of a token that passed this gate is ASCII). A slice would
 * keep the string it was cut from alive: the request's header, a long `Cookie` header say.
 */
export function ownCopy(ascii: string): string {
  return Buffer.from(ascii, 'latin1').toString('latin1')
}

/**
 * Protected headers already decoded, checked and frozen, by their exact encoded segment. An issuer
 * signs every token with the same few headers (`alg`, `typ`, `kid`), so a fresh token usually
 * skips the header's base64, JSON and checks. Only headers of verified tokens are added, so a
 * client cannot fill it, and it stops growing at its `max` ({@link KnownHeaders.max} by default). A hit is exactly what
 * decoding the same characters would give.
 */
export class KnownHeaders {
  /** Distinct headers kept; real issuers use one per key. */
  static readonly max = 32
  readonly #headers = new Map<string, DecodedToken['header']>()

  /** @param max - headers kept (DPoP proof headers are one per client key: more). */
  constructor(private readonly max = KnownHeaders.max) {}

  /** The frozen header decoded from `segment`, if it is known. */
  get(segment: string): DecodedToken['header'] | undefined {
    return this.#headers.get(segment)
  }

  /** Records the (frozen) header of a verified token, while there is room. */
  add(token: string, header: DecodedToken['header']): void {
    if (this.#headers.size >= this.max) return
    const segment = token.slice(0, token.indexOf('.'))
    if (!this.#headers.has(segment)) this.#headers.set(ownCopy(segment), header)
  }

  /** Headers held. */
  get size(): number {
    return this.#headers.size
  }
}

/**
 * The `typ` rule, its one home: absent or a string, which {@link typAccepted} accepts. Run twice
 * per fresh token: by the compact gate against the union of every issuer's values (before any
 * crypto, when the issuer is not chosen yet; plain JWTs always pass there), then by the pipeline
 * against the chosen issuer's rule, which may refuse plain JWTs (RFC 9068 §4).
 */
export function checkTyp(typ: unknown, rule: TypRule): void {
  if (typ !== undefined && typeof typ !== 'string') throw headerInvalid("invalid 'typ'")
  if (typAccepted(typ, rule)) return
  throw headerInvalid(typ === undefined ? "missing 'typ'" : "unexpected 'typ'")
}

/**
 * Checks the compact serialisation and decodes header and payload.
 *
 * @param extraTyp - normalised `typ` values some issuer accepts besides `JWT` (see
 *   {@link normalizeTyp}); plain JWTs pass here, the chosen issuer's {@link TypRule} may refuse them.
 * @param knownHeaders - headers of verified tokens, decoded and checked with the same `extraTyp`.
 */
export function decodeCompact(
  token: string,
  maxLength: number,
  extraTyp: ReadonlySet<string> = new Set(),
  knownHeaders?: KnownHeaders,
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
  const known = knownHeaders?.get(headerPart)
  const parsed = known ?? parseJsonObject(decodeSegment(headerPart))
  if (parsed === undefined) throw malformed('malformed token header')
  const signature = decodeSegment(signaturePart)
  if (known === undefined) checkHeader(parsed, extraTyp)
  const header = parsed as DecodedToken['header']
  const payload = parseJsonObject(decodeSegment(payloadPart))
  if (payload === undefined) throw malformed('malformed token payload')
  return { token, header, payload, signature, knownHeader: known !== undefined }
}

function checkHeader(header: Record<string, unknown>, extraTyp: ReadonlySet<string>): void {
  if (typeof header.alg !== 'string' || header.alg === '') throw headerInvalid("missing 'alg'")
  if (header.alg.toLowerCase() === 'none') throw headerInvalid('unsecured tokens are not accepted')
  for (const name of REFUSED_HEADER_PARAMETERS) {
    if (name in header) throw headerInvalid(`unsupported '${name}' header parameter`)
  }
  checkTyp(header.typ, plainJwtRule(extraTyp))
  if (header.cty !== undefined) {
    if (typeof header.cty !== 'string') throw headerInvalid("invalid 'cty'")
    if (normalizeTyp(header.cty) === JWT_TYP) throw headerInvalid('nested tokens are not accepted')
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') {
    throw headerInvalid("invalid 'kid'")
  }
}
