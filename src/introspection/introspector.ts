/**
 * One issuer's introspection: answers kept in process (and in a shared cache when configured),
 * keyed by a SHA-256 of the token, never the token; concurrent requests with one token make one
 * call (single flight). An active answer is kept until the earliest of the token's `exp`, the
 * configured TTL and, for a JWT, its `every`; an inactive one for `negativeTtl`; a failure not at
 * all. The request path asks {@link Introspector.lookup}, synchronously answered on a hit.
 *
 * @module
 */
import { hash } from 'node:crypto'
import { callStore } from '../checks/store-calls.js'
import type { IntrospectionCache } from '../stores/types.js'
import type { MaybePromise } from '../pipeline/maybe-promise.js'
import { checkAnswer, isObject } from './answer.js'
import type { IntrospectionAnswer } from './answer.js'
import { askEndpoint } from './request.js'
import type { EndpointSettings } from './request.js'

/** Everything an issuer's introspection needs, resolved at start-up (times in ms). */
export interface IntrospectorSettings extends EndpointSettings {
  /** Whether the gate's opaque tokens go to this issuer. */
  readonly opaque: boolean
  /** For JWTs: undefined when not introspected, 0 for every request, else how long an answer holds. */
  readonly jwtReuse: number | undefined
  readonly cacheTtl: number
  readonly negativeTtl: number
  readonly cache: IntrospectionCache | undefined
  /** Answers kept in process at most. */
  readonly max: number
}

/** How a failing shared cache is named in the (swallowed) error: it is a miss either way. */
const CACHE = 'introspection cache'

/** Which kind of token is asked about: its answers are kept differently. */
export type TokenKind = 'opaque' | 'jwt'

interface Held {
  readonly answer: IntrospectionAnswer
  /** Epoch ms (of the gate's clock) after which the answer is asked again. */
  readonly until: number
}

/** One issuer's introspection, its caches and its calls in flight. */
export class Introspector {
  readonly #settings: IntrospectorSettings
  readonly #keyPrefix: string
  readonly #held = new Map<string, Held>()
  readonly #inFlight = new Map<string, Promise<IntrospectionAnswer>>()

  constructor(settings: IntrospectorSettings) {
    this.#settings = settings
    // The issuer and client are hashed in: two gates sharing a cache share only their own answers.
    this.#keyPrefix = `${settings.issuer}\0${settings.clientId}\0`
  }

  get opaque(): boolean {
    return this.#settings.opaque
  }

  /** Whether this issuer's JWTs are introspected too. */
  get jwt(): boolean {
    return this.#settings.jwtReuse !== undefined
  }

  /** The answer for `token` at `nowMs`: kept, joined to a call in flight, or asked for. */
  lookup(token: string, kind: TokenKind, nowMs: number): MaybePromise<IntrospectionAnswer> {
    // One-shot hash (no Hash object per request): about half the cost of createHash here.
    const key = hash('sha256', this.#keyPrefix + token, 'base64url')
    const held = this.#held.get(key)
    if (held !== undefined) {
      if (nowMs < held.until) return held.answer
      this.#held.delete(key)
    }
    const pending = this.#inFlight.get(key)
    if (pending !== undefined) return pending
    const started = this.#resolve(key, token, kind, nowMs).finally(() => {
      this.#inFlight.delete(key)
    })
    this.#inFlight.set(key, started)
    return started
  }

  async #resolve(
    key: string,
    token: string,
    kind: TokenKind,
    nowMs: number,
  ): Promise<IntrospectionAnswer> {
    const shared = await this.#readShared(key, nowMs)
    if (shared !== undefined) {
      this.#hold(key, shared)
      return shared.answer
    }
    const { issuer } = this.#settings
    const answer = checkAnswer(await askEndpoint(this.#settings, token), issuer, nowMs)
    const held = { answer, until: this.#until(answer, kind, nowMs) }
    if (held.until > nowMs) {
      this.#hold(key, held)
      this.#writeShared(key, held, nowMs)
    }
    return answer
  }

  #until({ active, claims }: IntrospectionAnswer, kind: TokenKind, nowMs: number): number {
    const { cacheTtl, negativeTtl, jwtReuse } = this.#settings
    if (!active) return nowMs + negativeTtl
    const ttl = kind === 'jwt' ? Math.min(cacheTtl, jwtReuse ?? 0) : cacheTtl
    const exp = claims?.exp
    return Math.min(nowMs + ttl, typeof exp === 'number' ? exp * 1000 : Infinity)
  }

  #hold(key: string, held: Held): void {
    this.#held.delete(key)
    this.#held.set(key, held)
    while (this.#held.size > this.#settings.max) {
      const oldest = this.#held.keys().next()
      if (oldest.done === true) break
      this.#held.delete(oldest.value)
    }
  }

  /**
   * The shared cache's answer, checked again as if the endpoint had sent it; a cache that fails,
   * is slow or holds garbage is a miss (the endpoint is asked), never a pass.
   */
  async #readShared(key: string, nowMs: number): Promise<Held | undefined> {
    const { cache, issuer, timeout } = this.#settings
    if (cache === undefined) return undefined
    try {
      const text = await callStore(() => cache.get(key), timeout, CACHE)
      if (typeof text !== 'string') return undefined
      const stored = JSON.parse(text) as unknown
      if (!isObject(stored) || typeof stored.until !== 'number' || nowMs >= stored.until) {
        return undefined
      }
      return { answer: checkAnswer(stored.answer, issuer, nowMs), until: stored.until }
    } catch {
      return undefined
    }
  }

  #writeShared(key: string, { answer, until }: Held, nowMs: number): void {
    const { cache, timeout } = this.#settings
    if (cache === undefined) return
    const value = JSON.stringify({ until, answer: { ...answer.claims, active: answer.active } })
    // Best effort: the answer is already in hand; a cache that fails only costs another call.
    callStore(() => cache.set(key, value, until - nowMs), timeout, CACHE).catch(() => {})
  }

  /** Drops the answers held in process and closes the shared cache. */
  async close(): Promise<void> {
    this.#held.clear()
    await this.#settings.cache?.close?.()
  }
}
