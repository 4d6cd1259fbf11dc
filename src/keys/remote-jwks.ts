/**
 * A remote JWKS on top of jose's `createRemoteJWKSet` (which already caches, refetches on an
 * unknown `kid` outside a cooldown, shares one fetch between concurrent requests and times out),
 * with what it lacks: a bounded response size and stale-if-error, i.e. the last good key set keeps
 * serving for a configured time while the endpoint fails.
 *
 * @module
 */
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors } from 'jose'
import type { JSONWebKeySet, JWTVerifyGetKey, FlattenedJWSInput } from 'jose'

/** The protected header a key set is asked about. */
export type KeyLookupHeader = Parameters<JWTVerifyGetKey>[0]
import { InvalidTokenError, ServiceUnavailableError } from '../errors.js'
import type { RemoteJwksKeySource } from '../options/types.js'

/** Largest JWKS response read; a real key set is a few KiB. */
const MAX_JWKS_BYTES = 512 * 1024

const DEFAULTS = { timeout: 5_000, cooldown: 30_000, cacheMaxAge: 600_000, staleIfError: 3_600_000 }

/**
 * Smallest `cooldown` and `cacheMaxAge`, in ms. Each bounds how often the endpoint is fetched:
 * below this, a flood of unknown `kid`s (or of any tokens, once the set is stale) would fetch the
 * key set for nearly every request. One fetch per second per process is the most an attacker can
 * cause.
 */
export const MIN_REFRESH_INTERVAL = 1_000

/** A key as jose returns it from a key set. */
export type VerificationKey = Awaited<ReturnType<JWTVerifyGetKey>>

/** A remote key set: `getKey` throws `ERR_AUTH_KEY_NOT_FOUND` or `ERR_AUTH_KEYS_UNAVAILABLE`. */
export interface RemoteKeySet {
  getKey(header: KeyLookupHeader): Promise<VerificationKey>
  /**
   * Fetches the set now (used to warm up at start, and by health checks). A failure is an
   * `ERR_AUTH_KEYS_UNAVAILABLE` naming the option and the URL (without its query), with the
   * original error as `cause`.
   */
  reload(): Promise<void>
}

class JwksTooLargeError extends Error {}
class JwksTimeoutError extends Error {}

/** Key sets pick keys from the header alone; the token argument is not consulted. */
const NO_TOKEN = undefined as unknown as FlattenedJWSInput

/** What the last successful fetch brought, kept to serve while the endpoint fails. */
class LastGoodKeys {
  private last: { at: number; keys: JWTVerifyGetKey } | undefined
  /** When the endpoint last failed; while within the cooldown, a sick IdP is not asked again. */
  lastFailureAt = -Infinity

  constructor(private readonly servesFor: number) {}

  remember(jwks: JSONWebKeySet): void {
    this.last = { at: Date.now(), keys: createLocalJWKSet(jwks) }
  }

  /** Whether the last good keys may still serve: `cacheMaxAge + staleIfError` after the fetch. */
  usable(now: number): boolean {
    return this.last !== undefined && now - this.last.at <= this.servesFor
  }

  async getKey(header: KeyLookupHeader): Promise<VerificationKey> {
    try {
      return await this.last!.keys(header, NO_TOKEN)
    } catch (staleError) {
      throw new InvalidTokenError('ERR_AUTH_KEY_NOT_FOUND', 'no matching key', {
        cause: staleError,
      })
    }
  }
}

/**
 * Builds the key set of a remote JWKS whose options the options schema has checked. Nothing is
 * fetched until the first token.
 */
export function createRemoteKeySet(source: RemoteJwksKeySource, option: string): RemoteKeySet {
  const url = new URL(source.jwksUrl)
  const cooldown = source.cooldown ?? DEFAULTS.cooldown
  const cacheMaxAge = source.cacheMaxAge ?? DEFAULTS.cacheMaxAge
  const lastGood = new LastGoodKeys(cacheMaxAge + (source.staleIfError ?? DEFAULTS.staleIfError))
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: source.timeout ?? DEFAULTS.timeout,
    cooldownDuration: cooldown,
    cacheMaxAge,
    ...(source.headers === undefined ? {} : { headers: source.headers }),
    [customFetch]: limitedFetch(lastGood, source.timeout ?? DEFAULTS.timeout),
  })
  return {
    getKey: (header) => getKeyOrStale(remote, lastGood, cooldown, header),
    async reload() {
      try {
        await remote.reload()
      } catch (error) {
        throw new ServiceUnavailableError(
          'ERR_AUTH_KEYS_UNAVAILABLE',
          `'${option}.jwksUrl' (${url.origin}${url.pathname}): could not fetch the key set: ${failureReason(error)}`,
          { cause: error },
        )
      }
    },
  }
}

/**
 * jose's fetch, with a bounded response, no redirects, a deadline over the whole exchange, and
 * each good key set remembered.
 *
 * The deadline is our own timer, and it settles the exchange itself: jose's `AbortSignal.timeout()`
 * and the signal fetch derives from it are held weakly, so a garbage collection during a slow body
 * can drop them, and the read would then never end (an endpoint trickling a byte at a time would
 * hold requests forever).
 */
function limitedFetch(lastGood: LastGoodKeys, timeout: number) {
  return async (input: string, init: RequestInit): Promise<Response> => {
    const deadline = new AbortController()
    const timer = setTimeout(
      () => deadline.abort(new JwksTimeoutError('JWKS fetch timed out')),
      timeout,
    )
    const onCallerAbort = (): void => deadline.abort(init.signal?.reason)
    init.signal?.addEventListener('abort', onCallerAbort, { once: true })
    try {
      const request = fetch(input, { ...init, signal: deadline.signal, redirect: 'error' })
      const response = await Promise.race([request, rejectOnAbort(deadline.signal)])
      const text = await readLimited(response, deadline.signal)
      if (response.status === 200) {
        const parsed = safeParseJwks(text)
        if (parsed !== undefined) lastGood.remember(parsed)
      }
      return new Response(text, { status: response.status, headers: response.headers })
    } finally {
      clearTimeout(timer)
      init.signal?.removeEventListener('abort', onCallerAbort)
    }
  }
}

/** A promise that rejects with the signal's reason once it aborts, and never resolves. */
function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })
  })
}

async function getKeyOrStale(
  remote: JWTVerifyGetKey,
  lastGood: LastGoodKeys,
  cooldown: number,
  header: KeyLookupHeader,
): Promise<VerificationKey> {
  const now = Date.now()
  // After a failed refresh, do not ask the endpoint again until the cooldown has passed: serve the
  // last good keys, or answer 503 at once. No fetch storm against a sick IdP, and no timeout
  // added to each request.
  if (now - lastGood.lastFailureAt < cooldown) {
    if (lastGood.usable(now)) return lastGood.getKey(header)
    throw new ServiceUnavailableError('ERR_AUTH_KEYS_UNAVAILABLE', 'signing keys unavailable')
  }
  try {
    return await remote(header, NO_TOKEN)
  } catch (error) {
    if (
      error instanceof errors.JWKSNoMatchingKey ||
      error instanceof errors.JWKSMultipleMatchingKeys
    ) {
      throw new InvalidTokenError('ERR_AUTH_KEY_NOT_FOUND', 'no matching key', { cause: error })
    }
    lastGood.lastFailureAt = Date.now()
    if (lastGood.usable(lastGood.lastFailureAt)) return lastGood.getKey(header)
    throw new ServiceUnavailableError('ERR_AUTH_KEYS_UNAVAILABLE', 'signing keys unavailable', {
      cause: error,
    })
  }
}

/** The failure in a few words: the error's message, and the system code behind "fetch failed". */
function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error.cause as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? `${error.message} (${code})` : error.message
}

/** The body as text, refused past `MAX_JWKS_BYTES`; the reader is cancelled when `deadline` fires. */
async function readLimited(response: Response, deadline: AbortSignal): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > MAX_JWKS_BYTES) {
    await response.body?.cancel()
    throw new JwksTooLargeError('JWKS response too large')
  }
  if (response.body === null) return ''
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const cancel = (): void => void reader.cancel().catch(() => undefined)
  deadline.addEventListener('abort', cancel, { once: true })
  try {
    return await readAll(reader, deadline)
  } finally {
    deadline.removeEventListener('abort', cancel)
  }
}

async function readAll(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  deadline: AbortSignal,
): Promise<string> {
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    // A cancelled reader ends as if the body were complete: the deadline, not the body, decides.
    if (deadline.aborted) throw deadline.reason as Error
    if (done) break
    size += value.byteLength
    if (size > MAX_JWKS_BYTES) {
      await reader.cancel()
      throw new JwksTooLargeError('JWKS response too large')
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function safeParseJwks(text: string): JSONWebKeySet | undefined {
  try {
    const value: unknown = JSON.parse(text)
    if (
      typeof value === 'object' &&
      value !== null &&
      Array.isArray((value as { keys?: unknown }).keys) &&
      (value as { keys: unknown[] }).keys.every((k) => typeof k === 'object' && k !== null)
    ) {
      return value as JSONWebKeySet
    }
  } catch {
    // not JSON: jose reports it, and the last good set stays in place
  }
  return undefined
}
