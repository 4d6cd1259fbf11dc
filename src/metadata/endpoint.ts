/**
 * Answers the requests for the metadata document: which method and path it takes, and the
 * status, headers and body of the answer. Framework-free; the Express layer only writes them.
 *
 * @module
 */
import { metadataDocument } from './document.js'
import type { MetadataSettings } from './document.js'
import { guardScopes } from './scopes.js'

/** An answer to write as is. */
export interface MetadataResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** The JSON text (for `HEAD` too: the server writes its length, not it), none for a preflight. */
  readonly body: string | undefined
}

/**
 * How long clients and shared caches may keep the document, in seconds. It changes only with the
 * configuration (a deployment), and MCP clients fetch it on every new connection.
 */
export const METADATA_MAX_AGE = 3600

/**
 * Readable from any origin, without credentials: browser-based MCP clients fetch the document
 * cross-origin before they hold a token, and it is public by design (RFC 9728 §2). Never
 * `Access-Control-Allow-Credentials`.
 */
const CORS_HEADERS = { 'Access-Control-Allow-Origin': '*' } as const

/** The request parts the endpoint reads. */
export interface MetadataRequest {
  readonly method: string
  /** The path relative to where the handler is mounted, without the query. */
  readonly path: string
  /** Whether it is a CORS preflight (`OPTIONS` with `Origin` and a requested method). */
  readonly preflight: boolean
}

/** The endpoint of one resource: `answer()` returns undefined for any request not its own. */
export interface MetadataEndpoint {
  readonly metadataUrl: string
  readonly metadataPath: string
  answer(request: MetadataRequest): MetadataResponse | undefined
}

/** The endpoint for `settings`; the JSON is built again only when the guards' scopes change. */
export function createMetadataEndpoint(settings: MetadataSettings): MetadataEndpoint {
  let cached: { version: number; json: string } | undefined
  function json(): string {
    const current = guardScopes()
    if (cached?.version !== current.version) {
      const document = metadataDocument(settings, current.scopes)
      cached = { version: current.version, json: JSON.stringify(document) }
    }
    return cached.json
  }
  return {
    metadataUrl: settings.metadataUrl,
    metadataPath: settings.metadataPath,
    answer({ method, path, preflight }) {
      if (path !== settings.metadataPath) return undefined
      if (method === 'GET' || method === 'HEAD') {
        const body = json()
        return {
          status: 200,
          headers: {
            'Content-Type': 'application/json',
            'Cache-Control': `public, max-age=${METADATA_MAX_AGE}`,
            'X-Content-Type-Options': 'nosniff',
            ...CORS_HEADERS,
          },
          body,
        }
      }
      if (method === 'OPTIONS' && preflight) return PREFLIGHT
      return undefined
    },
  }
}

/**
 * The preflight answer: a browser asks before sending `MCP-Protocol-Version` (which the MCP SDK
 * adds to its metadata requests); `*` allows any request header on a request without credentials.
 */
const PREFLIGHT: MetadataResponse = Object.freeze({
  status: 204,
  headers: Object.freeze({
    ...CORS_HEADERS,
    'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
    'Access-Control-Allow-Headers': '*',
    'Access-Control-Max-Age': '86400',
  }),
  body: undefined,
})
