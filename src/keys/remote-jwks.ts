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
import { AuthConfigError, InvalidTokenError, ServiceUnavailableError } from '../errors.js'
import type { RemoteJwksKeySource } from '../options/types.js'

/** Largest JWKS response read; a real key set is a few KiB. */
export const MAX_JWKS_BYTES = 512 * 1024

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

/** Key sets pick keys from the header alone; the token argument is not consulted. */
const NO_TOKEN = undefined as unknown as FlattenedJWSInput

/** Validates the options and builds the key set. Nothing is fetched until the first token. */
export function createRemoteKeySet(source: RemoteJwksKeySource, option: string): RemoteKeySet {
  const url = parseJwksUrl(source.jwksUrl, `${option}.jwksUrl`)
  const timeout = milliseconds(source.timeout, DEFAULTS.timeout, 1, `${option}.timeout`)
  const cooldown = milliseconds(
    source.cooldown,
    DEFAULTS.cooldown,
    MIN_REFRESH_INTERVAL,
    `${option}.cooldown`,
  )
  const cacheMaxAge = milliseconds(
    source.cacheMaxAge,
    DEFAULTS.cacheMaxAge,
    MIN_REFRESH_INTERVAL,
    `${option}.cacheMaxAge`,
  )
  const staleIfError = milliseconds(
    source.staleIfError,
    DEFAULTS.staleIfError,
    0,
    `${option}.staleIfError`,
  )

  let lastGood: { jwks: JSONWebKeySet; at: number; local: JWTVerifyGetKey } | undefined
  /** When the endpoint last failed; while within the cooldown, a sick IdP is not asked again. */
  let lastFailureAt = -Infinity

  const staleUsable = (now: number): boolean =>
    lastGood !== undefined && now - lastGood.at <= cacheMaxAge + staleIfError

  const fromStale = async (header: KeyLookupHeader): Promise<VerificationKey> => {
    try {
      return await lastGood!.local(header, NO_TOKEN)
    } catch (staleError) {
      throw new InvalidTokenError('ERR_AUTH_KEY_NOT_FOUND', 'no matching key', {
        cause: staleError,
      })
    }
  }

  const limitedFetch = async (input: string, init: RequestInit): Promise<Response> => {
    const response = await fetch(input, { ...init, redirect: 'error' })
    const text = await readLimited(response)
    if (response.status === 200) {
      const parsed = safeParseJwks(text)
      if (parsed !== undefined) {
        lastGood = { jwks: parsed, at: Date.now(), local: createLocalJWKSet(parsed) }
      }
    }
    return new Response(text, { status: response.status, headers: response.headers })
  }

  const remote = createRemoteJWKSet(url, {
    timeoutDuration: timeout,
    cooldownDuration: cooldown,
    cacheMaxAge,
    ...(source.headers === undefined ? {} : { headers: source.headers }),
    [customFetch]: limitedFetch,
  })

  const getKey = async (header: KeyLookupHeader): Promise<VerificationKey> => {
    const now = Date.now()
    // After a failed refresh, do not ask the endpoint again until the cooldown has passed: serve the
    // last good keys, or answer 503 at once. No fetch storm against a sick IdP, and no timeout
    // added to each request.
    if (now - lastFailureAt < cooldown) {
      if (staleUsable(now)) return fromStale(header)
      throw new ServiceUnavailableError('ERR_AUTH_KEYS_UNAVAILABLE', 'signing keys unavailable')
    }
    try {
      return await remote(header, undefined)
    } catch (error) {
      if (
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys
      ) {
        throw new InvalidTokenError('ERR_AUTH_KEY_NOT_FOUND', 'no matching key', { cause: error })
      }
      lastFailureAt = Date.now()
      if (staleUsable(lastFailureAt)) return fromStale(header)
      throw new ServiceUnavailableError('ERR_AUTH_KEYS_UNAVAILABLE', 'signing keys unavailable', {
        cause: error,
      })
    }
  }

  return {
    getKey,
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

/** The failure in a few words: the error's message, and the system code behind "fetch failed". */
function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error.cause as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? `${error.message} (${code})` : error.message
}

async function readLimited(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > MAX_JWKS_BYTES) {
    await response.body?.cancel()
    throw new JwksTooLargeError('JWKS response too large')
  }
  if (response.body === null) return ''
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
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

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

function parseJwksUrl(value: unknown, option: string): URL {
  if (typeof value !== 'string') throw new AuthConfigError(option, 'must be a URL string')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new AuthConfigError(option, 'is not a valid URL')
  }
  if (url.username !== '' || url.password !== '') {
    throw new AuthConfigError(option, 'must not contain credentials; send them with `headers`')
  }
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return url
  throw new AuthConfigError(option, 'must use https (http is allowed for loopback addresses only)')
}

/** A duration option in ms: an integer of at least `min`, or the default when absent. */
function milliseconds(value: unknown, fallback: number, min: number, option: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new AuthConfigError(
      option,
      `must be an integer number of milliseconds, at least ${min} ms`,
    )
  }
  return value
}
