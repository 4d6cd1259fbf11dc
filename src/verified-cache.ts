/**
 * The verified-token cache: a bounded LRU from the whole token string to the result of the
 * expensive, time-independent checks (compact gate, issuer choice, signature, claims schema). It
 * never stores failures, never outlives the token's `exp` or the configured TTL, and every hit is
 * re-checked against the clock and the current key by the caller. Revocation and user checks are
 * not cached here (the stores have their own caches).
 *
 * @module
 */
import { ownCopy } from './compact.js'
import type { ResolvedIssuer } from './config.js'
import type { VerificationKey } from './keys/remote-jwks.js'

/** The registered claims a cached verification keeps, as they were in the payload. */
// A type rather than an interface: it must pass where a plain claims record is read.
export type RegisteredClaims = {
  readonly iss: unknown
  readonly sub: unknown
  readonly jti: unknown
  readonly iat: unknown
  readonly nbf: unknown
  readonly exp: unknown
}

/** What a successful verification leaves behind. Claims and header are deep-frozen. */
export interface VerifiedToken {
  readonly issuer: ResolvedIssuer
  readonly header: Readonly<Record<string, unknown>> & { readonly alg: string }
  /**
   * The payload's registered claims (`iss`, `sub`, `jti`, `iat`, `nbf`, `exp`): all that later
   * requests need of it (time window, identity, revocation). The rest of the payload lives on in
   * `claims`, so keeping the whole object too would hold every entry's claims twice.
   */
  readonly registered: RegisteredClaims
  readonly claims: unknown
  readonly roles: readonly string[]
  readonly scopes: readonly string[]
  readonly key: VerificationKey
}

interface Entry {
  readonly value: VerifiedToken
  /** Epoch ms after which the entry is dropped. */
  readonly until: number
  readonly bytes: number
  /** Insertion order stamp, renewed when the entry is moved to the young end. */
  seq: number
}

/** Fixed per-entry overhead estimate (Map slot, entry object, arrays), in bytes. */
const ENTRY_OVERHEAD = 512

/** Slots of the admission filter: 64 Ki stamps, 256 KiB, fixed for the cache's life. */
const DOORKEEPER_SLOTS = 1 << 16

/**
 * FNV-1a over the token's last 64 characters (the signature: distinct for distinct tokens), as two
 * independent 32-bit values: one picks the slot, the other is the stamp. Only admission depends on
 * it; a collision never makes one token pass for another, since entries are keyed by the whole
 * token.
 */
function fingerprint(token: string): [slot: number, stamp: number] {
  let a = 0x811c9dc5
  let b = 0x01000193
  for (let i = Math.max(0, token.length - 64); i < token.length; i++) {
    const c = token.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x811c9dc5)
  }
  return [(a >>> 0) & (DOORKEEPER_SLOTS - 1), (b | 1) >>> 0]
}

/**
 * A size- and byte-bounded LRU keyed by the full token. Recency is kept approximately: a hit moves
 * its entry to the young end only once a quarter of the cache has been inserted after it, so that
 * the hot path of a repeated token does no Map re-insertion (exact for small caches).
 *
 * A token enters only on its second verification: a fixed-size "doorkeeper" remembers the first.
 * Most tokens a service sees more than once (a session, an API client), and those pay one extra
 * verification. Tokens used once (one per request, a flood of distinct tokens) never take an entry:
 * they can neither churn a full cache, evicting hot entries, nor fill an empty one with entries
 * that are never read (memory, and garbage-collection work over it, for nothing).
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>()
  #bytes = 0
  #seq = 0
  readonly #bumpDistance: number
  readonly #seenOnce = new Uint32Array(DOORKEEPER_SLOTS)

  constructor(
    private readonly max: number,
    private readonly maxBytes: number,
    private readonly ttlMs: number,
  ) {
    this.#bumpDistance = max >> 2
  }

  /** Entries currently held. */
  get size(): number {
    return this.#entries.size
  }

  /** Estimated bytes currently held. */
  get bytes(): number {
    return this.#bytes
  }

  /** The cached result, or undefined when absent or past its keep-until time. */
  get(token: string, nowMs: number): VerifiedToken | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) return undefined
    if (nowMs >= entry.until) {
      this.delete(token)
      return undefined
    }
    if (this.#seq - entry.seq > this.#bumpDistance) {
      this.#entries.delete(token)
      entry.seq = ++this.#seq
      this.#entries.set(token, entry)
    }
    return entry.value
  }

  /**
   * Stores a result until the earlier of `exp` and now + TTL, for a token verified before (see the
   * class comment). Returns whether it was stored.
   */
  set(token: string, value: VerifiedToken, nowMs: number, estimatedClaimBytes: number): boolean {
    const exp = value.registered.exp
    const until = Math.min(nowMs + this.ttlMs, typeof exp === 'number' ? exp * 1000 : Infinity)
    if (until <= nowMs) return false
    const bytes = token.length * 2 + estimatedClaimBytes + ENTRY_OVERHEAD
    if (bytes > this.maxBytes) return false
    if (!this.#entries.has(token)) {
      const [slot, stamp] = fingerprint(token)
      if (this.#seenOnce[slot] !== stamp) {
        this.#seenOnce[slot] = stamp
        return false
      }
    }
    this.delete(token)
    // A copy of its own: the token is usually a slice of the request's header string, which the
    // key would otherwise keep alive with everything else in it (a long Cookie header, say).
    this.#entries.set(ownCopy(token), { value, until, bytes, seq: ++this.#seq })
    this.#bytes += bytes
    while (this.#entries.size > this.max || this.#bytes > this.maxBytes) {
      const oldest = this.#entries.keys().next()
      if (oldest.done === true) break
      this.delete(oldest.value)
    }
    return true
  }

  /** Drops one token. */
  delete(token: string): void {
    const entry = this.#entries.get(token)
    if (entry === undefined) return
    this.#entries.delete(token)
    this.#bytes -= entry.bytes
  }

  /** Drops everything, the admission filter included. */
  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
    this.#seenOnce.fill(0)
  }
}

/**
 * Freezes a JSON value in place, so a cached result cannot be changed by one request for the next.
 * Iterative, so that no nesting depth can exhaust the call stack.
 */
export function deepFreeze<T>(value: T): T {
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const current = pending.pop()
    if (typeof current !== 'object' || current === null || Object.isFrozen(current)) continue
    Object.freeze(current)
    // for...in over own keys of plain JSON data: no array of values allocated per object.
    for (const key in current) {
      if (!Object.hasOwn(current, key)) continue
      const child = (current as Record<string, unknown>)[key]
      if (typeof child === 'object' && child !== null) pending.push(child)
    }
  }
  return value
}
