/**
 * A remote key set that follows HTTP caching: fresh for the answer's `Cache-Control: max-age`
 * (bounded by `cacheMinAge` and `cacheMaxAge`), refreshed in the background before it expires,
 * refetched on an unknown `kid` at most once per cooldown, one fetch shared by concurrent requests,
 * and the last good keys kept for `staleIfError` while the endpoint fails (`refreshing.ts`). Its
 * URL is configured (`jwksUrl`) or found by discovery (`discovery.ts`). jose's local key set picks
 * the key (by `kid`, `alg`, `use`, `key_ops`).
 *
 * @module
 */
import { createLocalJWKSet, errors } from 'jose'
import type { JSONWebKeySet, JWTVerifyGetKey, FlattenedJWSInput } from 'jose'
import { InvalidTokenError, ServiceUnavailableError } from '../errors.js'
import type { DiscoveryKeySource, RemoteJwksKeySource } from '../options/types.js'
import { createDiscovery } from './discovery.js'
import type { AuthServerMetadata, DiscoverySettings } from './discovery.js'
import { freshnessOf } from './freshness.js'
import { displayUrl, failureReason, fetchBounded } from './http-fetch.js'
import { Refreshing } from './refreshing.js'

/** The protected header a key set is asked about. */
export type KeyLookupHeader = Parameters<JWTVerifyGetKey>[0]

/** Largest JWKS response read; a real key set is a few KiB. */
export const MAX_JWKS_BYTES = 512 * 1024

/** The defaults of `RemoteFetchOptions`, in ms. */
export const FETCH_DEFAULTS = {
  timeout: 5_000,
  cooldown: 30_000,
  cacheMaxAge: 600_000,
  cacheMinAge: 60_000,
  staleIfError: 3_600_000,
} as const

/**
 * Smallest `cooldown`, `cacheMinAge` and `cacheMaxAge`, in ms. Each bounds how often the endpoint
 * is fetched: below this, a flood of unknown `kid`s (or a provider sending `no-cache`) would fetch
 * the key set for nearly every request. One fetch per second per process is the most an attacker
 * can cause.
 */
export const MIN_REFRESH_INTERVAL = 1_000

/** A key as jose returns it from a key set. */
export type VerificationKey = Awaited<ReturnType<JWTVerifyGetKey>>

/** Whether an issuer's keys can verify now, for a health check. */
export interface KeysReadiness {
  readonly keysLoaded: boolean
  readonly lastFetch?: Date
  /** The last fetch's failure, cleared by a success; no URL query, no header, no secret. */
  readonly lastError?: string
}

/** A remote key set: `getKey` throws `ERR_AUTH_KEY_NOT_FOUND` or `ERR_AUTH_KEYS_UNAVAILABLE`. */
export interface RemoteKeySet {
  getKey(header: KeyLookupHeader): Promise<VerificationKey>
  /**
   * The key for `header`, synchronously, when the current set is fresh and already gave it out;
   * else undefined (then {@link RemoteKeySet.getKey} decides). Keeps a warm gate's requests free
   * of promises, as with a static key.
   */
  knownKey(header: KeyLookupHeader): VerificationKey | undefined
  /**
   * Fetches the set now (used to warm up at start, and by health checks). A failure is an
   * `ERR_AUTH_KEYS_UNAVAILABLE` naming the option and the URL (without its query), with the
   * original error as `cause`.
   */
  reload(): Promise<void>
  readiness(): KeysReadiness
  /** Stops the background refresh. */
  close(): void
  /** The issuer's validated metadata (discovery only; fetched when first needed). */
  readonly metadata: (() => Promise<AuthServerMetadata>) | undefined
}

type LocalKeys = JWTVerifyGetKey

/**
 * Keys a set has given out, by `kid` and `alg` (all that jose's choice depends on), kept per set:
 * a set fetched anew starts empty. Only keys found are kept, so at most one per published key and
 * algorithm.
 */
type KeysByKidAndAlg = Map<string, Map<string | undefined, VerificationKey>>
const givenOut = new WeakMap<LocalKeys, KeysByKidAndAlg>()

/** Key sets pick keys from the header alone; the token argument is not consulted. */
const NO_TOKEN = undefined as unknown as FlattenedJWSInput

/**
 * Builds the key set of a remote JWKS, or of an issuer's discovery, whose options the options
 * schema has checked (and, for discovery, whose issuer URL the key resolver has). Nothing is
 * fetched until the first token or `reload()`.
 */
export function createRemoteKeySet(
  source: RemoteJwksKeySource | DiscoveryKeySource,
  option: string,
  issuer: string | null,
): RemoteKeySet {
  const settings = fetchSettings(source)
  // The key resolver has refused discovery without an issuer URL at start-up.
  const discovery =
    'discovery' in source && issuer !== null ? createDiscovery(issuer, settings) : undefined
  const where =
    discovery === undefined
      ? `'${option}.jwksUrl' (${displayUrl(new URL((source as RemoteJwksKeySource).jwksUrl))})`
      : `'${option}.discovery' (issuer ${issuer})`
  const jwksUrl = async (): Promise<URL> => {
    if (discovery === undefined) return new URL((source as RemoteJwksKeySource).jwksUrl)
    try {
      return (await discovery.get()).jwksUri
    } catch (error) {
      // Within the cooldown the 503 has no cause: the reason is the last failure's.
      const reason = discovery.status().lastError ?? failureReason(error)
      throw new Error(`discovery failed: ${reason}`, { cause: error })
    }
  }
  const keys = new Refreshing(() => loadKeySet(jwksUrl, settings), {
    ...settings.policy,
    background: true,
  })
  return {
    getKey: (header) => findKey(keys, header),
    knownKey(header) {
      const set = keys.peek()
      return set === undefined
        ? undefined
        : givenOut
            .get(set)
            ?.get(header.kid ?? '')
            ?.get(header.alg)
    },
    async reload() {
      try {
        await keys.reload()
      } catch (error) {
        throw new ServiceUnavailableError(
          'ERR_AUTH_KEYS_UNAVAILABLE',
          `${where}: could not fetch the key set: ${failureReason(error)}`,
          { cause: error },
        )
      }
    },
    readiness() {
      const { usable, ...rest } = keys.status()
      return { keysLoaded: usable, ...rest }
    },
    close() {
      keys.close()
      discovery?.close()
    },
    metadata: discovery === undefined ? undefined : () => discovery.get(),
  }
}

/** How the key set (and the discovery document) is fetched and kept. */
type FetchSettings = DiscoverySettings

function fetchSettings(source: RemoteJwksKeySource | DiscoveryKeySource): FetchSettings {
  const max = source.cacheMaxAge ?? FETCH_DEFAULTS.cacheMaxAge
  return {
    timeout: source.timeout ?? FETCH_DEFAULTS.timeout,
    headers: source.headers,
    // A default minimum above a configured maximum gives way to it (the schema refuses both given).
    bounds: { min: Math.min(source.cacheMinAge ?? FETCH_DEFAULTS.cacheMinAge, max), max },
    policy: {
      cooldown: source.cooldown ?? FETCH_DEFAULTS.cooldown,
      staleIfError: source.staleIfError ?? FETCH_DEFAULTS.staleIfError,
    },
  }
}

async function loadKeySet(
  jwksUrl: () => Promise<URL>,
  settings: FetchSettings,
): Promise<{ value: LocalKeys; lifetime: number }> {
  const url = await jwksUrl()
  const answer = await fetchBounded(url, {
    timeout: settings.timeout,
    maxBytes: MAX_JWKS_BYTES,
    headers: settings.headers,
  })
  if (answer.status !== 200) {
    // jose's generic error, as its remote key set raised for this case before ours replaced it.
    throw new errors.JOSEError(`expected 200 OK from the key set, got HTTP ${answer.status}`)
  }
  return {
    value: createLocalJWKSet(parseJwks(answer.text)),
    lifetime: freshnessOf(answer.headers, settings.bounds),
  }
}

/**
 * The key for `header`: from the current set, else from a set fetched again for an unknown `kid`
 * (at most once per cooldown), else `ERR_AUTH_KEY_NOT_FOUND`.
 */
async function findKey(
  keys: Refreshing<LocalKeys>,
  header: KeyLookupHeader,
): Promise<VerificationKey> {
  const set = await keys.get()
  const found = await select(set, header)
  if (found !== undefined) return remember(set, header, found)
  if (await keys.refetchUnlessRecent()) {
    const again = await keys.get()
    const key = await select(again, header)
    if (key !== undefined) return remember(again, header, key)
  }
  throw new InvalidTokenError('ERR_AUTH_KEY_NOT_FOUND', 'no matching key')
}

function remember(set: LocalKeys, header: KeyLookupHeader, key: VerificationKey): VerificationKey {
  let byKid = givenOut.get(set)
  if (byKid === undefined) givenOut.set(set, (byKid = new Map() as KeysByKidAndAlg))
  const kid = header.kid ?? ''
  let byAlg = byKid.get(kid)
  if (byAlg === undefined) byKid.set(kid, (byAlg = new Map<string | undefined, VerificationKey>()))
  byAlg.set(header.alg, key)
  return key
}

async function select(
  keys: LocalKeys,
  header: KeyLookupHeader,
): Promise<VerificationKey | undefined> {
  try {
    return await keys(header, NO_TOKEN)
  } catch (error) {
    if (
      error instanceof errors.JWKSNoMatchingKey ||
      error instanceof errors.JWKSMultipleMatchingKeys
    ) {
      return undefined
    }
    // A published key jose cannot import (a broken JWK): not a key to verify with.
    throw new InvalidTokenError('ERR_AUTH_KEY_NOT_FOUND', 'no usable key', { cause: error })
  }
}

/** The answer as a key set, or `ERR_JWKS_INVALID`: the last good set then stays in place. */
function parseJwks(text: string): JSONWebKeySet {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new errors.JWKSInvalid('the key set is not JSON')
  }
  const keys = (value as { keys?: unknown } | null)?.keys
  if (
    typeof value !== 'object' ||
    Array.isArray(value) ||
    !Array.isArray(keys) ||
    !keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k))
  ) {
    throw new errors.JWKSInvalid('not a JWKS document ({ "keys": [...] })')
  }
  return value as JSONWebKeySet
}
