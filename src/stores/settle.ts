/**
 * Runs a synchronous function and reports its outcome as a promise, so that adapters over
 * synchronous engines (a `Map`, better-sqlite3) reject instead of throwing synchronously.
 *
 * @module
 */

/** `fn()` as a resolved promise, or a rejected one when it throws. */
export function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn())
  } catch (error) {
    return Promise.reject(asError(error))
  }
}

/** `error` itself when it is an `Error`, else an `Error` carrying its text (stores may throw anything). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
