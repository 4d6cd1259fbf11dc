/**
 * The cache step: a token verified before is served from the verified-token cache, after the
 * checks that can change between two requests (the time window, and whether its key is still the
 * issuer's).
 *
 * @module
 */
import { checkTimeWindow } from '../claims/registered.js'
import type { DecodedToken } from '../jws/compact.js'
import type { MaybePromise } from './maybe-promise.js'
import type { Pipeline } from './pipeline.js'
import type { VerifiedToken, VerifiedTokenCache } from './verified-cache.js'

/**
 * The cached verification of `token` whose time window still holds, or undefined. Synchronous
 * for static keys; a remote key set is asked whether the key is still there, since one that left
 * (rotation, revocation at the IdP) must stop cached tokens too.
 */
export function findCachedToken(
  cache: VerifiedTokenCache | undefined,
  token: string,
  nowMs: number,
): MaybePromise<VerifiedToken | undefined> {
  const hit = cache?.get(token, nowMs)
  if (hit === undefined) return undefined
  // A tenant's token holds only while the resolver's answer does: verified afresh after that.
  const lease = hit.issuer.lease
  if (lease !== undefined && (lease.retired || nowMs >= lease.until)) {
    cache!.delete(token)
    return undefined
  }
  checkTimeWindow(hit.registered, hit.issuer.policy, nowMs / 1000)
  if (hit.issuer.keys.static) return hit
  return confirmKeyStillCurrent(cache!, token, hit)
}

/**
 * The hit while its key set still holds its key; the entry is dropped otherwise. Synchronous while
 * the set is fresh and has given this key out before (see `RemoteKeySet.knownKey`).
 */
function confirmKeyStillCurrent(
  cache: VerifiedTokenCache,
  token: string,
  hit: VerifiedToken,
): MaybePromise<VerifiedToken | undefined> {
  let current: MaybePromise<unknown>
  try {
    current = hit.issuer.keys.getKey(hit.header)
  } catch (error) {
    cache.delete(token)
    throw error
  }
  if (!(current instanceof Promise)) return sameKey(current, cache, token, hit)
  return current.then(
    (key) => sameKey(key, cache, token, hit),
    (error: unknown) => {
      cache.delete(token)
      throw error
    },
  )
}

function sameKey(
  current: unknown,
  cache: VerifiedTokenCache,
  token: string,
  hit: VerifiedToken,
): VerifiedToken | undefined {
  if (current === hit.key) return hit
  cache.delete(token)
  return undefined
}

/**
 * Keeps a fresh verification for later requests: its header in the table of known headers, the
 * result in the cache (which admits a token on its second verification).
 */
export function rememberVerifiedToken(
  { cache, knownHeaders }: Pipeline,
  decoded: DecodedToken,
  verified: VerifiedToken,
  nowMs: number,
): void {
  if (!decoded.knownHeader) knownHeaders.add(decoded.token, decoded.header)
  cache?.set(decoded.token, verified, nowMs, decoded.token.length * 2)
}
