/**
 * One call of the introspection endpoint (RFC 7662 §2.1): a POST of the token with the client's
 * authentication, under the gate's own deadline, with a bounded body and no redirects (the
 * bounded fetch of the key sets). Whatever goes wrong (down, slow, an error status, an oversized
 * or unreadable body) is a 503, never a pass.
 *
 * @module
 */
import { failureReason, fetchBounded } from '../keys/http-fetch.js'
import type { FetchedDocument } from '../keys/http-fetch.js'
import type { KeyResolver } from '../keys/key-resolver.js'
import { authenticateCall } from './client-auth.js'
import type { ClientCredentials } from './client-auth.js'
import { unusable } from './answer.js'
import { SIGNED_ANSWER_TYPE, openSignedAnswer } from './signed-answer.js'

/** Largest answer read, in bytes: real answers are well under 4 KiB. */
const MAX_ANSWER_BYTES = 64 * 1024

/** What a call needs, fixed at start-up. */
export interface EndpointSettings {
  readonly issuer: string
  readonly clientId: string
  readonly credentials: ClientCredentials
  /** The configured endpoint; undefined: the discovery document's. */
  readonly endpoint: URL | undefined
  readonly keys: KeyResolver
  /** Whether only a signed answer (RFC 9701) is accepted. */
  readonly signedOnly: boolean
  /** Deadline of one call, in ms. */
  readonly timeout: number
}

/** The endpoint's answer to `token`, unchecked (see `answer.ts`), the signature of a signed one checked. */
export async function askEndpoint(settings: EndpointSettings, token: string): Promise<unknown> {
  const endpoint = settings.endpoint ?? (await discoveredEndpoint(settings.keys))
  const { headers, form } = authenticateCall(settings.credentials, settings.issuer)
  let answer: FetchedDocument
  try {
    answer = await fetchBounded(endpoint, {
      timeout: settings.timeout,
      maxBytes: MAX_ANSWER_BYTES,
      headers: {
        ...headers,
        'content-type': 'application/x-www-form-urlencoded',
        accept: settings.signedOnly ? SIGNED_ANSWER_TYPE : 'application/json',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token', ...form }).toString(),
    })
  } catch (error) {
    throw unusable(`introspection failed: ${failureReason(error)}`, error)
  }
  if (answer.status !== 200) throw unusable(`introspection answered HTTP ${answer.status}`)
  return readBody(answer, settings)
}

async function readBody(answer: FetchedDocument, settings: EndpointSettings): Promise<unknown> {
  const type = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === SIGNED_ANSWER_TYPE) {
    const { keys, issuer, clientId } = settings
    return openSignedAnswer(answer.text, keys, issuer, clientId, MAX_ANSWER_BYTES)
  }
  if (settings.signedOnly) throw unusable(`a signed answer is required, got "${type}"`)
  try {
    return JSON.parse(answer.text) as unknown
  } catch (error) {
    throw unusable('the answer is not JSON', error)
  }
}

/** The discovery document's `introspection_endpoint` (the issuer's key is `{ discovery: true }`). */
async function discoveredEndpoint(keys: KeyResolver): Promise<URL> {
  let found: URL | undefined
  try {
    found = (await keys.metadata!()).introspectionEndpoint
  } catch (error) {
    throw unusable('the discovery document is unavailable', error)
  }
  if (found === undefined) throw unusable("the discovery document has no 'introspection_endpoint'")
  return found
}
