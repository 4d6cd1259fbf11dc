/**
 * The resource identifier of RFC 9728 and RFC 8707: which values are accepted, and where the
 * protected-resource metadata of a resource lives (RFC 9728 §3.1). Framework-free.
 *
 * @module
 */

/** Hosts for which a plain `http:` resource is accepted (a server on this machine, in tests). */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]'])

/** The well-known suffix RFC 9728 registers. */
export const WELL_KNOWN_PREFIX = '/.well-known/oauth-protected-resource'

/**
 * What is wrong with a resource identifier, or undefined when it is acceptable: an absolute
 * `https:` URL (`http:` for loopback hosts only), without a fragment (RFC 9728 §1.2, RFC 8707 §2),
 * credentials or query. RFC 8707 only discourages a query, but the metadata URL of a resource with
 * one is ambiguous between clients, and no MCP client sends one: refused here, at start-up.
 */
export function resourceProblem(text: string): string | undefined {
  if (!URL.canParse(text)) return 'must be an absolute URL such as https://api.example.org/mcp'
  const url = new URL(text)
  if (text.includes('#')) return 'must not have a fragment (RFC 9728 §1.2)'
  if (url.search !== '' || text.includes('?')) return 'must not have a query'
  if (url.username !== '' || url.password !== '') return 'must not carry credentials'
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined
  return 'must be an https URL (http is allowed for loopback hosts only)'
}

/** A validated resource identifier and where its metadata is served. */
export interface ProtectedResource {
  /** The identifier as configured: the document's `resource` and the audience tokens must name. */
  readonly resource: string
  /** The absolute metadata URL, as announced in `resource_metadata`. */
  readonly metadataUrl: string
  /** The path of {@link ProtectedResource.metadataUrl} on the resource's host. */
  readonly metadataPath: string
}

/**
 * Where the metadata of `resource` (validated by {@link resourceProblem}) lives: the well-known
 * prefix inserted between the host and the path (RFC 9728 §3.1), so `https://h/mcp` has
 * `https://h/.well-known/oauth-protected-resource/mcp`, and `https://h` or `https://h/` the bare
 * `https://h/.well-known/oauth-protected-resource`.
 */
export function protectedResource(resource: string): ProtectedResource {
  const url = new URL(resource)
  const path = url.pathname === '/' ? '' : url.pathname
  const metadataPath = `${WELL_KNOWN_PREFIX}${path}`
  return Object.freeze({ resource, metadataUrl: `${url.origin}${metadataPath}`, metadataPath })
}
