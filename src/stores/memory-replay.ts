/**
 * In-memory replay store (`jwt-gate/stores/memory`): one process only, bounded.
 *
 * @module
 */
import { AuthConfigError } from '../errors.js'
import { assertRemember, replayDigest } from './replay-key.js'
import { settle } from './settle.js'
import type { ReplayStore } from './types.js'

/** Options of {@link createMemoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /**
   * Most keys held at once. When every one is still live, `remember` rejects (the request gets
   * a 503) rather than forget a live key, which would let its replay through.
   * @defaultValue 100000
   */
  max?: number
  /** Clock deciding when keys expire. @defaultValue `() => new Date()` */
  clock?: () => Date
}

/** Expired keys dropped from the oldest end by each `remember`, so the map rarely fills. */
const TRIM_PER_CALL = 2

/** Thrown by `remember` when the store is full of live keys. */
function fullError(): Error {
  return new Error('memory replay store is full of live keys')
}

/**
 * Creates an in-memory {@link ReplayStore}. Not shared between processes: with several
 * instances, use the Redis or PostgreSQL replay store.
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const max = options.max ?? 100_000
  if (!Number.isInteger(max) || max < 1)
    throw new AuthConfigError('max', 'must be a positive integer')
  const clock = options.clock ?? (() => new Date())
  if (typeof clock !== 'function') throw new AuthConfigError('clock', 'must be a function')
  // Insertion order is roughly expiry order (keys live for one window), so expired keys gather
  // at the front, where each call trims a few.
  const keys = new Map<string, number>()
  // While full, no key can leave before this time: until then a full store refuses at once
  // instead of scanning every key again.
  let fullUntil = -Infinity

  const trim = (now: number): void => {
    let dropped = 0
    for (const [key, expiresAt] of keys) {
      if (expiresAt > now || dropped === TRIM_PER_CALL) return
      keys.delete(key)
      dropped += 1
    }
  }
  const makeRoom = (now: number): void => {
    if (keys.size < max) return
    if (now < fullUntil) throw fullError()
    let soonest = Infinity
    for (const [key, expiresAt] of keys) {
      if (expiresAt <= now) keys.delete(key)
      else soonest = Math.min(soonest, expiresAt)
    }
    if (keys.size < max) return
    fullUntil = soonest
    throw fullError()
  }

  return {
    remember: (key, expiresAt) =>
      settle(() => {
        assertRemember(key, expiresAt)
        const now = clock().getTime() / 1000
        // With no time, every key would look expired: a replay must not pass for that.
        if (!Number.isFinite(now)) throw new Error('memory replay store: the clock gave no time')
        const id = replayDigest(key)
        const current = keys.get(id)
        if (current !== undefined && current > now) return false
        // An expired key is new again; it goes to the back, in expiry order.
        keys.delete(id)
        trim(now)
        // Already expired: nothing to remember, and it blocks nothing.
        if (expiresAt <= now) return true
        makeRoom(now)
        keys.set(id, expiresAt)
        return true
      }),
  }
}
