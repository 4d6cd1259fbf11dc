/**
 * The configured public origin a proof's `htu` is checked against (RFC 9449 §4.3), and the `htu`
 * comparison itself. The request's own `Host` and `X-Forwarded-*` headers are never read: a client
 * controls them, and a proof made for another host would pass if they chose the URL.
 *
 * @module
 */

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Why `text` is not a usable public origin, or undefined when it is. */
export function originProblem(text: string): string | undefined {
  if (!URL.canParse(text)) return 'must be an absolute origin like https://api.example.org'
  const url = new URL(text)
  if (url.origin !== text.replace(/\/$/, '')) {
    return 'must be an origin only (scheme, host, port), without path, query or fragment'
  }
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined
  return 'must use https (http only on loopback)'
}

/** The origin as compared: scheme and host lower case, default port dropped. */
export function normalizeOrigin(text: string): string {
  return new URL(text).origin
}

/**
 * Whether a proof's `htu` names this request: the public origin followed by the request's path.
 * Both sides go through the same URL parser, so scheme and host compare without regard to case,
 * a default port equals none, and percent-encoding and dot segments are normalised alike. An
 * `htu` with a query or fragment is refused (RFC 9449 §4.2: sent without them).
 */
export function htuMatches(htu: string, origin: string, requestTarget: string): boolean {
  if (!URL.canParse(htu)) return false
  const claimed = new URL(htu)
  if (claimed.search !== '' || claimed.hash !== '' || htu.includes('#') || htu.includes('?')) {
    return false
  }
  if (claimed.username !== '' || claimed.password !== '') return false
  // Origin-form targets only: an absolute-form or `//host` target could name another origin.
  if (!requestTarget.startsWith('/') || requestTarget.startsWith('//')) return false
  const query = requestTarget.search(/[?#]/)
  const path = query === -1 ? requestTarget : requestTarget.slice(0, query)
  const expected = new URL(origin + path)
  return claimed.origin === expected.origin && claimed.pathname === expected.pathname
}
