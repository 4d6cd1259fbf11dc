/**
 * The URLs jwt-gate fetches from a provider: which are allowed (https, http for loopback only, no
 * credentials), and where an issuer's metadata lives (OpenID Connect Discovery 1.0 §4 and
 * RFC 8414 §3.1).
 *
 * @module
 */

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * What is wrong with a URL jwt-gate would fetch keys or metadata from, or undefined: https only
 * (http for loopback addresses), no credentials in it.
 */
export function fetchUrlProblem(text: string): string | undefined {
  if (!URL.canParse(text)) return 'is not a valid URL'
  const url = new URL(text)
  if (url.username !== '' || url.password !== '') {
    return 'must not contain credentials; send them with `headers`'
  }
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined
  return 'must use https (http is allowed for loopback addresses only)'
}

/**
 * What is wrong with an issuer identifier used for discovery, or undefined: an absolute https URL
 * (http for loopback) without credentials, query or fragment (RFC 8414 §2).
 */
export function discoveryIssuerProblem(issuer: string | null): string | undefined {
  if (issuer === null) return 'must be the issuer URL for discovery (it is null)'
  const problem = fetchUrlProblem(issuer)
  if (problem !== undefined) return `${problem} for discovery (got "${issuer}")`
  const url = new URL(issuer)
  if (url.search !== '' || url.hash !== '' || issuer.includes('?') || issuer.includes('#')) {
    return 'must have no query or fragment for discovery (RFC 8414 §2)'
  }
  return undefined
}

/**
 * The metadata URLs of an issuer, in the order they are tried:
 * - OpenID Connect Discovery: `/.well-known/openid-configuration` appended to the issuer, after
 *   removing a terminating `/` (`https://h/tenant` → `https://h/tenant/.well-known/openid-configuration`);
 * - RFC 8414: `/.well-known/oauth-authorization-server` inserted between the host and the path
 *   (`https://h/tenant` → `https://h/.well-known/oauth-authorization-server/tenant`).
 * For an issuer without a path the RFC 8414 URL is simply `https://h/.well-known/oauth-authorization-server`.
 */
export function metadataUrls(issuer: string): readonly URL[] {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/+$/, '')
  return [
    new URL(`${url.origin}${path}/.well-known/openid-configuration`),
    new URL(`${url.origin}/.well-known/oauth-authorization-server${path}`),
  ]
}
