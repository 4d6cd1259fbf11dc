/**
 * Discovery of an issuer's metadata (OpenID Connect Discovery 1.0, RFC 8414): where its key set
 * lives, and the endpoints later features need. The document is untrusted input: its `issuer` must
 * be the configured one exactly (the mix-up defence of RFC 8414 §3.3), its `jwks_uri` an https URL
 * (loopback excepted), its size and fetch time bounded, and redirects are not followed.
 *
 * @module
 */
import type { FreshnessBounds } from './freshness.js'
import { freshnessOf } from './freshness.js'
import { FetchFailedError, displayUrl, fetchBounded } from './http-fetch.js'
import type { FetchedDocument } from './http-fetch.js'
import { fetchUrlProblem, metadataUrls } from './provider-urls.js'
import { Refreshing } from './refreshing.js'
import type { Loaded, RefreshPolicy } from './refreshing.js'

/** Largest metadata document read; real ones are a few KiB. */
export const MAX_METADATA_BYTES = 64 * 1024

/** The validated metadata of an issuer (internal: later features read its endpoints). */
export interface AuthServerMetadata {
  readonly issuer: string
  readonly jwksUri: URL
  /** RFC 7662 endpoint, when the document names a valid one. */
  readonly introspectionEndpoint: URL | undefined
  /** The whole document as the provider sent it, for endpoints not lifted out yet. */
  readonly document: Readonly<Record<string, unknown>>
}

/** How the metadata is fetched and kept. */
export interface DiscoverySettings {
  readonly timeout: number
  readonly headers: Readonly<Record<string, string>> | undefined
  readonly bounds: FreshnessBounds
  readonly policy: Omit<RefreshPolicy, 'background'>
}

/** The metadata of `issuer`, fetched on first use and kept fresh by its own `Cache-Control`. */
export function createDiscovery(
  issuer: string,
  settings: DiscoverySettings,
): Refreshing<AuthServerMetadata> {
  // No timer of its own: the key set asks for the metadata whenever it refreshes.
  return new Refreshing(() => loadMetadata(issuer, settings), {
    ...settings.policy,
    background: false,
  })
}

/**
 * Tries the OpenID Connect URL, then the RFC 8414 one. Any answer that is not a usable document
 * (404, another status, a redirect, not JSON, another issuer) moves on to the next URL; a timeout
 * or a network error does not, since the next URL is on the same host.
 */
async function loadMetadata(
  issuer: string,
  settings: DiscoverySettings,
): Promise<Loaded<AuthServerMetadata>> {
  const problems: string[] = []
  const limits = {
    timeout: settings.timeout,
    maxBytes: MAX_METADATA_BYTES,
    headers: settings.headers,
  }
  for (const url of metadataUrls(issuer)) {
    let answer: FetchedDocument
    try {
      answer = await fetchBounded(url, limits)
    } catch (error) {
      if (!(error instanceof FetchFailedError && error.answered)) throw error
      problems.push(`${displayUrl(url)}: ${error.message}`)
      continue
    }
    const read = readMetadata(answer, issuer)
    if (typeof read !== 'string') {
      return { value: read, lifetime: freshnessOf(answer.headers, settings.bounds) }
    }
    problems.push(`${displayUrl(url)}: ${read}`)
  }
  throw new Error(`no usable discovery document (${problems.join('; ')})`)
}

/** The validated metadata, or what is wrong with the answer. */
export function readMetadata(answer: FetchedDocument, issuer: string): AuthServerMetadata | string {
  if (answer.status !== 200) return `HTTP ${answer.status}`
  let document: unknown
  try {
    document = JSON.parse(answer.text)
  } catch {
    return 'not JSON'
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return 'not a JSON object'
  }
  const fields = document as Record<string, unknown>
  if (fields['issuer'] !== issuer) {
    return `its "issuer" is ${quoted(fields['issuer'])}, not the configured issuer`
  }
  const jwksUri = fields['jwks_uri']
  if (typeof jwksUri !== 'string') return 'no "jwks_uri"'
  const problem = fetchUrlProblem(jwksUri)
  if (problem !== undefined) return `"jwks_uri" ${problem}`
  return Object.freeze({
    issuer,
    jwksUri: new URL(jwksUri),
    introspectionEndpoint: optionalEndpoint(fields['introspection_endpoint']),
    document: Object.freeze({ ...fields }),
  })
}

function optionalEndpoint(value: unknown): URL | undefined {
  return typeof value === 'string' && fetchUrlProblem(value) === undefined
    ? new URL(value)
    : undefined
}

/** An untrusted value, short enough for a log line. */
function quoted(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'missing' : typeof value
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value)
}
