/**
 * Framework-free token extraction from the `Authorization` header (RFC 6750 §2.1) and a named
 * cookie (as decoded by cookie-parser), with the documented conflict rule. Duplicate header lines
 * and duplicate token cookies are detected on the raw request, because Node keeps only one of them.
 *
 * @module
 */
import { InvalidRequestError, InvalidTokenError, ServerMisconfiguredError } from './errors.js'
import type { TokenSource } from './context.js'
import type { ConflictPolicy, ExtractorRequest, SourceName } from './options.js'

/** The parts of an HTTP request extraction reads (an Express `req` fits). */
export interface AuthRequest extends ExtractorRequest {
  /** The HTTP method, for the CSRF check of cookie-borne tokens. */
  method?: string
  /** Node's raw header list (name, value, name, value...), to see duplicate lines. */
  rawHeaders?: readonly string[]
  /** cookie-parser's unsigned cookies. */
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

function countHeaderLines(rawHeaders: readonly string[] | undefined, name: string): number {
  if (rawHeaders === undefined) return 0
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const header = rawHeaders[i]
    // Length first: most header names are skipped without allocating a lower-cased copy.
    if (header?.length === name.length && header.toLowerCase() === name) count++
  }
  return count
}

/**
 * The bearer token of the `Authorization` header; undefined when there is no header or it uses
 * another scheme (that credential is somebody else's business, e.g. Basic).
 */
export function fromAuthorizationHeader(req: AuthRequest): string | undefined {
  const value = req.headers.authorization
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
  const scheme = space === -1 ? value : value.slice(0, space)
  if (scheme.toLowerCase() !== 'bearer') return undefined
  let start = space === -1 ? value.length : space
  while (value.charCodeAt(start) === 0x20) start++
  const token = value.slice(start)
  if (token === '') {
    throw new InvalidRequestError('ERR_AUTH_HEADER_MALFORMED', 'missing bearer token')
  }
  if (/[\s,]/.test(token)) {
    throw new InvalidRequestError('ERR_AUTH_HEADER_MALFORMED', 'malformed Authorization header')
  }
  return token
}

/**
 * How many cookie pairs with exactly this name occur in the raw `Cookie` header(s). Scans with
 * indexOf rather than splitting, since it runs on every cookie-authenticated request: a match must
 * start the header or follow a `;` (spaces allowed), and be followed by `=` (spaces allowed).
 */
export function countCookies(header: string | string[] | undefined, name: string): number {
  if (header === undefined) return 0
  const text = Array.isArray(header) ? header.join(';') : header
  let count = 0
  for (let at = text.indexOf(name); at !== -1; at = text.indexOf(name, at + 1)) {
    let before = at - 1
    while (before >= 0 && (text.charCodeAt(before) === 0x20 || text.charCodeAt(before) === 0x09))
      before--
    if (before >= 0 && text.charCodeAt(before) !== 0x3b /* ; */) continue
    let after = at + name.length
    while (text.charCodeAt(after) === 0x20 || text.charCodeAt(after) === 0x09) after++
    if (text.charCodeAt(after) === 0x3d /* = */) count++
  }
  return count
}

let warnedMissingParser = false

/**
 * The token cookie as cookie-parser decoded it; undefined when absent or empty. A tampered signed
 * cookie (or an unsigned one where a signed one is required) is a rejected credential.
 */
export function fromCookie(
  req: AuthRequest,
  cookie: { readonly name: string; readonly signed: boolean },
): string | undefined {
  if (req.cookies === undefined) {
    if (!warnedMissingParser) {
      warnedMissingParser = true
      process.emitWarning(
        'jwt-gate: a cookie source is configured but req.cookies is undefined; mount cookie-parser before jwt-gate',
        { code: 'JWT_GATE_COOKIE_PARSER_MISSING' },
      )
    }
    throw new ServerMisconfiguredError(
      'ERR_AUTH_COOKIE_PARSER_MISSING',
      'cookie-parser is not mounted',
    )
  }
  if (countCookies(req.headers.cookie, cookie.name) > 1) {
    throw new InvalidRequestError(
      'ERR_AUTH_CREDENTIALS_AMBIGUOUS',
      'token cookie sent more than once',
    )
  }
  const plain = Object.hasOwn(req.cookies, cookie.name) ? req.cookies[cookie.name] : undefined
  let value: unknown = plain
  if (cookie.signed) {
    const signed =
      req.signedCookies !== undefined && Object.hasOwn(req.signedCookies, cookie.name)
        ? req.signedCookies[cookie.name]
        : undefined
    if (signed === false || (plain !== undefined && plain !== '')) {
      throw new InvalidTokenError('ERR_AUTH_COOKIE_SIGNATURE_INVALID', 'invalid cookie signature')
    }
    value = signed
  }
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string')
    throw new InvalidTokenError('ERR_AUTH_TOKEN_MALFORMED', 'malformed token')
  return value
}

/**
 * Finds the request's token in the configured sources by the conflict rule, synchronously.
 * Undefined means the sources carry nothing (a custom extractor may still find a token).
 */
export function extractFromSources(
  req: AuthRequest,
  policy: ExtractionPolicy,
): ExtractedToken | undefined {
  let first: ExtractedToken | undefined
  for (const source of policy.sources) {
    const token =
      source === 'header'
        ? fromAuthorizationHeader(req)
        : policy.cookie === undefined
          ? undefined
          : fromCookie(req, policy.cookie)
    if (token === undefined) continue
    if (first === undefined) {
      first = { token, source }
    } else if (first.token !== token) {
      if (policy.conflict === 'reject') {
        throw new InvalidRequestError(
          'ERR_AUTH_CREDENTIALS_AMBIGUOUS',
          'cookie and Authorization header carry different tokens',
        )
      }
      const preferred = policy.conflict === 'prefer-header' ? 'header' : 'cookie'
      if (source === preferred) first = { token, source }
    }
  }
  return first
}

/** The custom extractor's token, if it finds one. */
export async function extractCustom(
  req: AuthRequest,
  policy: ExtractionPolicy,
): Promise<ExtractedToken | undefined> {
  if (policy.extractToken === undefined) return undefined
  const token = await policy.extractToken(req)
  return typeof token === 'string' && token !== '' ? { token, source: 'custom' } : undefined
}

/**
 * Finds the request's token by the configured sources and conflict rule, then the custom
 * extractor. Undefined means the request carries no credentials.
 */
export async function extractToken(
  req: AuthRequest,
  policy: ExtractionPolicy,
): Promise<ExtractedToken | undefined> {
  return extractFromSources(req, policy) ?? (await extractCustom(req, policy))
}
