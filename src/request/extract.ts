/**
 * Framework-free token extraction from the `Authorization` header (RFC 6750 §2.1) and a named
 * cookie (read from the raw `Cookie` header and decoded as cookie-parser decodes it; signed cookies
 * through cookie-parser), with the documented conflict rule, and a custom extractor, which may not
 * find a token beside them (RFC 6750 §2, one method per request). Duplicate header lines
 * and duplicate token cookies are detected on the raw request, because Node keeps only one of them.
 *
 * @module
 */
import { InvalidRequestError, InvalidTokenError, ServerMisconfiguredError } from '../errors.js'
import type { TokenSource } from '../context/types.js'
import type { ConflictPolicy, ExtractorRequest, SourceName } from '../options/types.js'
import { countCookies, readCookie } from './cookie-header.js'
import { readHeader } from './headers.js'
import { warnOnce } from '../warnings.js'
import type { ClientConnection } from '../mtls/connection.js'

/** The parts of an HTTP request the gate reads (an Express `req` fits). */
export interface AuthRequest extends ExtractorRequest, ClientConnection {
  /** The HTTP method, for the CSRF check of cookie-borne tokens. */
  method?: string
  /** Node's raw header list (name, value, name, value...), to see duplicate lines. */
  rawHeaders?: readonly string[]
  /** The request target as received (Express), whose path a DPoP proof's `htu` must name. */
  originalUrl?: string
  /** The request target (Node), used when `originalUrl` is absent. */
  url?: string
  /**
   * Parsed unsigned cookies (cookie-parser's): read only when the request has no raw `Cookie`
   * header, for framework-free callers that hold parsed cookies only.
   */
  cookies?: Record<string, unknown>
  /** cookie-parser's signed cookies (`false` marks a bad signature). */
  signedCookies?: Record<string, unknown>
}

/** A token and where it came from. */
export interface ExtractedToken {
  token: string
  source: TokenSource
}

/** What extraction needs from the configuration. */
export interface ExtractionPolicy {
  readonly sources: readonly SourceName[]
  readonly cookie: { readonly name: string; readonly signed: boolean } | undefined
  readonly conflict: ConflictPolicy
  readonly extractToken:
    ((req: ExtractorRequest) => string | undefined | Promise<string | undefined>) | undefined
}

/** Lines of the header `name` (lower-case letters only) in Node's raw header list. */
export function countHeaderLines(rawHeaders: readonly string[] | undefined, name: string): number {
  if (rawHeaders === undefined) return 0
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const header = rawHeaders[i]
    // Length first, then letters compared in place: no lower-cased copy per request.
    if (header?.length === name.length && equalsLettersIgnoringCase(header, name)) count++
  }
  return count
}

/**
 * Whether `value` equals `letters` (lower-case ASCII letters only) in any case, without copies.
 * Setting bit 0x20 lower-cases an ASCII letter, and only a letter can become one that way.
 */
function equalsLettersIgnoringCase(value: string, letters: string): boolean {
  for (let i = 0; i < letters.length; i++) {
    if ((value.charCodeAt(i) | 0x20) !== letters.charCodeAt(i)) return false
  }
  return true
}

/** Whether `value` starts with "Bearer" in any case, ending at `end`; compared without copies. */
function isBearerScheme(value: string, end: number): boolean {
  return end === 6 && equalsLettersIgnoringCase(value, BEARER)
}
const BEARER = 'bearer'

/**
 * The bearer token of the `Authorization` header; undefined when there is no header or it uses
 * another scheme (that credential is somebody else's business, e.g. Basic).
 */
export function fromAuthorizationHeader(req: AuthRequest): string | undefined {
  const token = bearerToken(req)
  if (token !== undefined) assertBearerTokenSyntax(token)
  return token
}

/**
 * Refuses a bearer token holding whitespace or a comma as a malformed header (400), not as a
 * malformed token: such a header carries something other than one token (RFC 6750 §2.1).
 *
 * The authenticator runs this only when it needs the answer: when the token fails the compact
 * gate (whose alphabet excludes both, so a token that passes cannot hold either), or when a
 * cookie also carries a token. The scan costs about 6,000 instructions on an RS256 token, most of
 * the work left outside the signature check.
 */
export function assertBearerTokenSyntax(token: string): void {
  if (/[\s,]/.test(token)) {
    throw new InvalidRequestError('ERR_AUTH_HEADER_MALFORMED', 'malformed Authorization header')
  }
}

/** The bearer token of the `Authorization` header, before the syntax scan (see above). */
function bearerToken(req: AuthRequest): string | undefined {
  const value = readHeader(req, 'authorization', 'Authorization')
  if (value === undefined) return undefined
  // Node keeps only the first of several lines in req.headers; the raw list shows them all.
  if (Array.isArray(value) || countHeaderLines(req.rawHeaders, 'authorization') > 1) {
    throw new InvalidRequestError(
      'ERR_AUTH_CREDENTIALS_AMBIGUOUS',
      'multiple Authorization headers',
    )
  }
  if (value === '') return undefined
  const space = value.indexOf(' ')
  const schemeEnd = space === -1 ? value.length : space
  if (!isBearerScheme(value, schemeEnd)) return undefined
  let start = schemeEnd
  while (value.charCodeAt(start) === 0x20) start++
  const token = value.slice(start)
  if (token === '') {
    throw new InvalidRequestError('ERR_AUTH_HEADER_MALFORMED', 'missing bearer token')
  }
  return token
}

/**
 * The token cookie; undefined when absent or empty. An unsigned cookie is read from the raw
 * `Cookie` header, so cookie-parser is not needed for it (a caller without raw headers, such as a
 * framework-free adapter, may pass parsed `cookies` instead). A signed cookie needs cookie-parser's
 * `req.signedCookies`; a tampered one (or an unsigned one where a signed one is required) is a
 * rejected credential.
 */
function fromCookie(
  req: AuthRequest,
  cookie: { readonly name: string; readonly signed: boolean },
): string | undefined {
  if (cookie.signed) return fromSignedCookie(req, cookie.name)
  const header = readHeader(req, 'cookie', 'Cookie')
  const value =
    header !== undefined
      ? readCookie(header, cookie.name)
      : req.cookies !== undefined && Object.hasOwn(req.cookies, cookie.name)
        ? req.cookies[cookie.name]
        : undefined
  return tokenValue(value)
}

function fromSignedCookie(req: AuthRequest, name: string): string | undefined {
  if (req.cookies === undefined) {
    warnOnce(
      'JWT_GATE_COOKIE_PARSER_MISSING',
      'jwt-gate: a signed token cookie is configured but req.cookies is undefined; mount cookie-parser(secret) before jwt-gate',
      'Warning',
    )
    throw new ServerMisconfiguredError(
      'ERR_AUTH_COOKIE_PARSER_MISSING',
      'cookie-parser is not mounted',
    )
  }
  if (countCookies(readHeader(req, 'cookie', 'Cookie'), name) > 1) {
    throw new InvalidRequestError(
      'ERR_AUTH_CREDENTIALS_AMBIGUOUS',
      'token cookie sent more than once',
    )
  }
  const plain = Object.hasOwn(req.cookies, name) ? req.cookies[name] : undefined
  const signed =
    req.signedCookies !== undefined && Object.hasOwn(req.signedCookies, name)
      ? req.signedCookies[name]
      : undefined
  if (signed === false || (plain !== undefined && plain !== '')) {
    throw new InvalidTokenError('ERR_AUTH_COOKIE_SIGNATURE_INVALID', 'invalid cookie signature')
  }
  return tokenValue(signed)
}

function tokenValue(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string')
    throw new InvalidTokenError('ERR_AUTH_TOKEN_MALFORMED', 'malformed token')
  return value
}

/**
 * Finds the request's token in the configured sources by the conflict rule, synchronously.
 * Undefined means the sources carry nothing (a custom extractor may still find a token).
 *
 * @param headerScanLater - the caller runs {@link assertBearerTokenSyntax} itself when a header
 *   token fails the compact gate (the authenticator does); a header token that meets a cookie
 *   token is scanned here all the same, so that the conflict rule sees what it always saw.
 */
export function extractFromSources(
  req: AuthRequest,
  policy: ExtractionPolicy,
  headerScanLater = false,
): ExtractedToken | undefined {
  let first: ExtractedToken | undefined
  /** A header token whose scan waits (see `headerScanLater`); scanned once another token shows. */
  let unscannedHeader: string | undefined
  for (const source of policy.sources) {
    let token: string | undefined
    if (source === 'header') {
      token = bearerToken(req)
      if (token !== undefined && headerScanLater && first === undefined) unscannedHeader = token
      else if (token !== undefined) assertBearerTokenSyntax(token)
    } else {
      token = cookieToken(req, policy, unscannedHeader)
    }
    if (token === undefined) continue
    if (first === undefined) {
      first = { token, source }
      continue
    }
    // Both sources carry a token: a malformed header is refused before the conflict rule.
    if (unscannedHeader !== undefined) assertBearerTokenSyntax(unscannedHeader)
    if (first.token !== token) first = resolveConflict(policy, first, { token, source })
  }
  return first
}

/**
 * The token cookie. A header token read before it and not yet scanned is scanned when the cookie
 * fails, so that a malformed header is refused first, as when it is scanned on reading.
 */
function cookieToken(
  req: AuthRequest,
  policy: ExtractionPolicy,
  unscannedHeader: string | undefined,
): string | undefined {
  if (policy.cookie === undefined) return undefined
  try {
    return fromCookie(req, policy.cookie)
  } catch (error) {
    if (unscannedHeader !== undefined) assertBearerTokenSyntax(unscannedHeader)
    throw error
  }
}

/** Two different tokens: refused, or the preferred source wins. */
function resolveConflict(
  policy: ExtractionPolicy,
  first: ExtractedToken,
  second: ExtractedToken,
): ExtractedToken {
  if (policy.conflict === 'reject') {
    throw new InvalidRequestError(
      'ERR_AUTH_CREDENTIALS_AMBIGUOUS',
      'cookie and Authorization header carry different tokens',
    )
  }
  const preferred = policy.conflict === 'prefer-header' ? 'header' : 'cookie'
  return second.source === preferred ? second : first
}

/** How a source is named when the custom extractor's token meets its token. */
const SOURCE_NAMES: Readonly<Record<SourceName, string>> = {
  header: 'Authorization header',
  cookie: 'token cookie',
}

/**
 * The custom extractor's token, or else `fromSources`, the token the configured sources found.
 * RFC 6750 §2: a request sends its token by one method only, so an extractor that finds a token
 * while a source carries one too (the same or another) makes the request ambiguous (400), whatever
 * the conflict rule between header and cookie would have chosen.
 */
export async function extractCustom(
  req: AuthRequest,
  policy: ExtractionPolicy,
  fromSources?: ExtractedToken,
): Promise<ExtractedToken | undefined> {
  if (policy.extractToken === undefined) return fromSources
  const token = await policy.extractToken(req)
  if (typeof token !== 'string' || token === '') return fromSources
  if (fromSources !== undefined && fromSources.source !== 'custom') {
    throw new InvalidRequestError(
      'ERR_AUTH_CREDENTIALS_AMBIGUOUS',
      `the custom extractor and the ${SOURCE_NAMES[fromSources.source]} both carry a token`,
    )
  }
  return { token, source: 'custom' }
}

/**
 * Finds the request's token by the configured sources and conflict rule, and by the custom
 * extractor (one method per request). Undefined means the request carries no credentials.
 */
export async function extractToken(
  req: AuthRequest,
  policy: ExtractionPolicy,
): Promise<ExtractedToken | undefined> {
  const fromSources = extractFromSources(req, policy)
  return policy.extractToken === undefined ? fromSources : extractCustom(req, policy, fromSources)
}
