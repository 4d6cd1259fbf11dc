/**
 * Calls into user, revocation and replay stores, bounded by a timeout. Whatever goes wrong inside
 * a store (an error, a hang, a malformed answer) becomes a 503 `ERR_AUTH_STORE_UNAVAILABLE`: the request
 * never passes and the failure is never reported as a bad token.
 *
 * @module
 */
import { ServiceUnavailableError } from '../errors.js'
import type { ReplayStore } from '../stores/types.js'

/** Awaits a store call for at most `timeoutMs`. */
export async function callStore<T>(
  call: () => Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new ServiceUnavailableError('ERR_AUTH_STORE_UNAVAILABLE', `${what} timed out`))
    }, timeoutMs)
    timer.unref()
  })
  try {
    return await Promise.race([Promise.resolve().then(call), timeout])
  } catch (error) {
    if (error instanceof ServiceUnavailableError) throw error
    throw new ServiceUnavailableError('ERR_AUTH_STORE_UNAVAILABLE', `${what} unavailable`, {
      cause: error,
    })
  } finally {
    clearTimeout(timer)
  }
}

/** The error for a store answer of the wrong shape. */
export function garbageFrom(what: string): ServiceUnavailableError {
  return new ServiceUnavailableError(
    'ERR_AUTH_STORE_UNAVAILABLE',
    `${what} returned an invalid answer`,
  )
}

/**
 * Records a one-time `key` in a replay store until `expiresAt` (seconds), bounded by `timeoutMs`:
 * `true` when it was new, `false` for a replay. The caller names the replay in its own error.
 */
export async function rememberOnce(
  store: ReplayStore,
  key: string,
  expiresAt: number,
  timeoutMs: number,
): Promise<boolean> {
  const fresh = await callStore(() => store.remember(key, expiresAt), timeoutMs, 'replay store')
  if (typeof fresh !== 'boolean') throw garbageFrom('replay store')
  return fresh
}
