/**
 * Slows down password guessing: after `maxFailures` failed logins for one username from one
 * address within the window, further attempts get a 429 until the window has passed.
 * In memory and bounded; a real AuthAPI would share this state between instances.
 *
 * @module
 */

/** Limiter settings. */
export interface LoginLimiterOptions {
  /** Failed attempts allowed per window. @defaultValue 5 */
  maxFailures?: number
  /** Window length in seconds. @defaultValue 900 */
  windowSeconds?: number
  /** Most keys tracked at once; the oldest are dropped first. @defaultValue 10000 */
  maxKeys?: number
  clock?: () => Date
}

/**
 * The limiter. Keys are `address + username`. An attempt is counted when it starts, before the
 * password hash is checked: counting it only once the (slow) hash has failed let parallel guesses
 * all pass the check before the first one was recorded.
 */
export interface LoginLimiter {
  /**
   * Reserves an attempt: counts it as a failure and returns 0, or, when the key has used up its
   * attempts, counts nothing and returns the seconds to wait.
   */
  reserve(key: string): number
  /** The reserved attempt succeeded: the key's failures are forgotten. */
  recordSuccess(key: string): void
}

/** Creates a fixed-window limiter. */
export function createLoginLimiter(options: LoginLimiterOptions = {}): LoginLimiter {
  const maxFailures = options.maxFailures ?? 5
  const windowMs = (options.windowSeconds ?? 900) * 1000
  const maxKeys = options.maxKeys ?? 10_000
  const clock = options.clock ?? (() => new Date())
  const failures = new Map<string, { count: number; since: number }>()

  function current(key: string): { count: number; since: number } | undefined {
    const entry = failures.get(key)
    if (entry !== undefined && clock().getTime() - entry.since >= windowMs) {
      failures.delete(key)
      return undefined
    }
    return entry
  }

  function startWindow(key: string): void {
    if (failures.size >= maxKeys) {
      const oldest = failures.keys().next()
      if (oldest.done !== true) failures.delete(oldest.value)
    }
    failures.set(key, { count: 1, since: clock().getTime() })
  }

  return {
    reserve(key) {
      const entry = current(key)
      if (entry === undefined) {
        startWindow(key)
        return 0
      }
      if (entry.count >= maxFailures) {
        return Math.max(1, Math.ceil((entry.since + windowMs - clock().getTime()) / 1000))
      }
      entry.count += 1
      return 0
    },
    recordSuccess(key) {
      failures.delete(key)
    },
  }
}
