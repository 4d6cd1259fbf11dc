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

/** The limiter. Keys are `address + username`. */
export interface LoginLimiter {
  /** Seconds to wait before the next attempt, or 0 when an attempt is allowed now. */
  retryAfter(key: string): number
  recordFailure(key: string): void
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

  return {
    retryAfter(key) {
      const entry = current(key)
      if (entry === undefined || entry.count < maxFailures) return 0
      return Math.max(1, Math.ceil((entry.since + windowMs - clock().getTime()) / 1000))
    },
    recordFailure(key) {
      const entry = current(key)
      if (entry !== undefined) {
        entry.count += 1
        return
      }
      if (failures.size >= maxKeys) {
        const oldest = failures.keys().next()
        if (oldest.done !== true) failures.delete(oldest.value)
      }
      failures.set(key, { count: 1, since: clock().getTime() })
    },
    recordSuccess(key) {
      failures.delete(key)
    },
  }
}
