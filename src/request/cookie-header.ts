/**
 * Reading one cookie out of raw `Cookie` header text, as cookie-parser (the `cookie` package)
 * decodes it, and counting a name's pairs (a token cookie sent twice is ambiguous). Kept apart
 * from extraction because it is pure text parsing on the per-request path.
 *
 * @module
 */
import { InvalidRequestError } from '../errors.js'

/**
 * Where the value of the next `name=value` pair starts in Cookie header text, searching from
 * `from`; -1 when there is none. Scans with indexOf rather than splitting, since it runs on every
 * cookie-authenticated request: a match must start the text or follow a `;` (spaces and tabs
 * allowed), and be followed by `=` (spaces and tabs allowed).
 */
function nextCookieValue(text: string, name: string, from: number): number {
  for (let at = text.indexOf(name, from); at !== -1; at = text.indexOf(name, at + 1)) {
    let before = at - 1
    while (before >= 0 && isSpaceOrTab(text.charCodeAt(before))) before--
    if (before >= 0 && text.charCodeAt(before) !== 0x3b /* ; */) continue
    let after = at + name.length
    while (isSpaceOrTab(text.charCodeAt(after))) after++
    if (text.charCodeAt(after) === 0x3d /* = */) return after + 1
  }
  return -1
}

function isSpaceOrTab(code: number): boolean {
  return code === 0x20 || code === 0x09
}

function cookieText(header: string | readonly string[]): string {
  return typeof header === 'string' ? header : header.join(';')
}

/** How many cookie pairs with exactly this name occur in the raw `Cookie` header(s). */
export function countCookies(header: string | readonly string[] | undefined, name: string): number {
  if (header === undefined) return 0
  const text = cookieText(header)
  let count = 0
  for (let at = nextCookieValue(text, name, 0); at !== -1; at = nextCookieValue(text, name, at)) {
    count++
  }
  return count
}

/**
 * The value of the cookie `name` in the raw `Cookie` header(s), decoded as cookie-parser (the
 * `cookie` package) decodes it: trimmed of spaces and tabs, one pair of surrounding double quotes
 * removed, percent-decoded when it holds a `%` (left as it is when that fails). Undefined when the
 * cookie is absent; a cookie sent twice is ambiguous and rejected, because parsers disagree on
 * which one wins.
 */
export function readCookie(header: string | readonly string[], name: string): string | undefined {
  const text = cookieText(header)
  let start = nextCookieValue(text, name, 0)
  if (start === -1) return undefined
  if (nextCookieValue(text, name, start) !== -1) {
    throw new InvalidRequestError(
      'ERR_AUTH_CREDENTIALS_AMBIGUOUS',
      'token cookie sent more than once',
    )
  }
  let end = text.indexOf(';', start)
  if (end === -1) end = text.length
  while (start < end && isSpaceOrTab(text.charCodeAt(start))) start++
  while (end > start && isSpaceOrTab(text.charCodeAt(end - 1))) end--
  if (text.charCodeAt(start) === 0x22 /* " */ && text.charCodeAt(end - 1) === 0x22) {
    start++
    end--
  }
  const value = start < end ? text.slice(start, end) : ''
  if (!value.includes('%')) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
