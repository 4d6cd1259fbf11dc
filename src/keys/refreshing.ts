/**
 * A remote document kept fresh: the cache policy shared by the key set and the discovery document.
 * One fetch at a time shared by every caller, freshness from the answer (see `freshness.ts`), a
 * refresh in the background before expiry so no request waits once warm, the last good value kept
 * for `staleIfError` after expiry while the endpoint fails, and a failing endpoint asked again at
 * most once per cooldown. Time is `Date.now()` (so tests can fake the clock); the background timer
 * is unref'd and stopped by `close()`.
 *
 * @module
 */
import { ServiceUnavailableError } from '../errors.js'
import { failureReason } from './http-fetch.js'

/** A loaded value and how long it stays fresh, in ms. */
export interface Loaded<T> {
  readonly value: T
  readonly lifetime: number
}

/** When to ask again, in ms. */
export interface RefreshPolicy {
  /** Least time between two fetches that a caller (not the clock) asks for. */
  readonly cooldown: number
  /** How long the last good value serves after its expiry while fetches fail. */
  readonly staleIfError: number
  /** Whether to refresh on a timer before expiry (the key set) or only when asked (discovery). */
  readonly background: boolean
}

/** What a health check reads. */
export interface RefreshStatus {
  readonly usable: boolean
  readonly lastFetch?: Date
  readonly lastError?: string
}

interface Entry<T> {
  readonly value: T
  readonly fetchedAt: number
  readonly freshUntil: number
}

/** Share of the lifetime after which a refresh starts while the value still serves. */
const REFRESH_AT = 0.8
/** setTimeout's largest delay; a longer lifetime is refreshed at this (about 24.8 days). */
const MAX_TIMER = 2 ** 31 - 1

export class Refreshing<T> {
  private entry: Entry<T> | undefined
  private inflight: Promise<Entry<T>> | undefined
  private lastAttemptAt = -Infinity
  private lastFailureAt = -Infinity
  private lastError: string | undefined
  private timer: NodeJS.Timeout | undefined
  private closed = false

  constructor(
    private readonly load: () => Promise<Loaded<T>>,
    private readonly policy: RefreshPolicy,
  ) {}

  /**
   * The value for a request: the fresh one at once (starting a background refresh past 80 % of its
   * lifetime); else a fetch, shared and awaited; else, while the endpoint fails, the last good
   * value for `staleIfError`; else `ERR_AUTH_KEYS_UNAVAILABLE` (503).
   */
  async get(): Promise<T> {
    return this.peek() ?? this.fetchOrStale(Date.now())
  }

  /**
   * The fresh value, synchronously, or undefined when there is none (then {@link get} decides).
   * Past 80 % of its lifetime it starts the background refresh, as {@link get} does.
   */
  peek(): T | undefined {
    const now = Date.now()
    const entry = this.entry
    if (entry === undefined || now >= entry.freshUntil) return undefined
    if (now >= refreshTime(entry)) this.refreshInBackground()
    return entry.value
  }

  /**
   * Fetches again for a caller that found the value wanting (a `kid` it lacks), unless a fetch was
   * made within the cooldown: then nothing is fetched. Resolves to whether the value may have
   * changed; a failed fetch is recorded and resolves to false.
   */
  async refetchUnlessRecent(): Promise<boolean> {
    if (this.inflight === undefined && Date.now() - this.lastAttemptAt < this.policy.cooldown) {
      return false
    }
    try {
      await this.fetchShared()
      return true
    } catch {
      return false
    }
  }

  /** Fetches now whatever the cooldown (warm-up, health checks); rejects with the fetch's error. */
  async reload(): Promise<T> {
    return (await this.fetchShared()).value
  }

  status(): RefreshStatus {
    const entry = this.entry
    return {
      usable: entry !== undefined && Date.now() <= entry.freshUntil + this.policy.staleIfError,
      ...(entry === undefined ? {} : { lastFetch: new Date(entry.fetchedAt) }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    }
  }

  /** Stops the background timer for good. */
  close(): void {
    this.closed = true
    clearTimeout(this.timer)
  }

  private async fetchOrStale(now: number): Promise<T> {
    // After a failure, a sick endpoint is not asked again within the cooldown: the last good
    // value serves, or the answer is 503 at once. No fetch storm, no timeout added to requests.
    if (this.inflight === undefined && now - this.lastFailureAt < this.policy.cooldown) {
      return this.staleOrThrow(now, undefined)
    }
    try {
      return (await this.fetchShared()).value
    } catch (error) {
      return this.staleOrThrow(Date.now(), error)
    }
  }

  private staleOrThrow(now: number, cause: unknown): T {
    const entry = this.entry
    if (entry !== undefined && now <= entry.freshUntil + this.policy.staleIfError) {
      return entry.value
    }
    throw new ServiceUnavailableError(
      'ERR_AUTH_KEYS_UNAVAILABLE',
      'signing keys unavailable',
      cause === undefined ? {} : { cause },
    )
  }

  private refreshInBackground(): void {
    const now = Date.now()
    if (this.inflight !== undefined || now - this.lastAttemptAt < this.policy.cooldown) return
    this.fetchShared().catch(() => undefined)
  }

  /** One fetch at a time: callers that come while it runs share it. */
  private fetchShared(): Promise<Entry<T>> {
    this.inflight ??= this.fetchOnce().finally(() => {
      this.inflight = undefined
    })
    return this.inflight
  }

  private async fetchOnce(): Promise<Entry<T>> {
    // The age of an answer counts from the request (RFC 9111 §4.2.3), not from its arrival.
    const fetchedAt = Date.now()
    this.lastAttemptAt = fetchedAt
    try {
      const { value, lifetime } = await this.load()
      const entry = { value, fetchedAt, freshUntil: fetchedAt + lifetime }
      this.entry = entry
      this.lastError = undefined
      this.schedule(lifetime * REFRESH_AT)
      return entry
    } catch (error) {
      this.lastFailureAt = Date.now()
      this.lastError = failureReason(error)
      this.schedule(this.policy.cooldown)
      throw error
    }
  }

  /** The next background refresh, `delay` ms from now (real time, unref'd). */
  private schedule(delay: number): void {
    if (!this.policy.background || this.closed) return
    clearTimeout(this.timer)
    this.timer = setTimeout(
      () => {
        this.fetchShared().catch(() => undefined)
      },
      Math.min(Math.max(delay, 0), MAX_TIMER),
    )
    this.timer.unref()
  }
}

function refreshTime(entry: Entry<unknown>): number {
  return entry.fetchedAt + (entry.freshUntil - entry.fetchedAt) * REFRESH_AT
}
