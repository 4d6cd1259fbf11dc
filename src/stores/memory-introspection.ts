/**
 * An in-process {@link IntrospectionCache}: a bounded map with per-entry expiry, for a single
 * instance, or for tests of the contract. (Without a `cache` option each issuer keeps its own
 * answers in process anyway; this one only matters where a cache object is wanted.)
 *
 * @module
 */
import type { IntrospectionCache } from './types.js'

/** Options of {@link createMemoryIntrospectionCache}. */
export interface MemoryIntrospectionCacheOptions {
  /** Most entries kept; the oldest go first. @defaultValue 10000 */
  max?: number
  /** Clock of the expiry, epoch ms. @defaultValue `Date.now` */
  now?: () => number
}

/** Creates an in-memory {@link IntrospectionCache}. */
export function createMemoryIntrospectionCache(
  options: MemoryIntrospectionCacheOptions = {},
): IntrospectionCache {
  const max = options.max ?? 10_000
  const now = options.now ?? Date.now
  const entries = new Map<string, { value: string; until: number }>()
  return {
    get(key) {
      const entry = entries.get(key)
      if (entry === undefined) return Promise.resolve(undefined)
      if (now() >= entry.until) {
        entries.delete(key)
        return Promise.resolve(undefined)
      }
      return Promise.resolve(entry.value)
    },
    set(key, value, ttl) {
      entries.delete(key)
      entries.set(key, { value, until: now() + ttl })
      while (entries.size > max) {
        const oldest = entries.keys().next()
        if (oldest.done === true) break
        entries.delete(oldest.value)
      }
      return Promise.resolve()
    },
    close() {
      entries.clear()
      return Promise.resolve()
    },
  }
}
