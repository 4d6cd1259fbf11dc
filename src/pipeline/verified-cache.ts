/**
 * The verified-token cache: a bounded LRU from the whole token to the result of the expensive,
 * time-independent checks (compact gate, issuer choice, signature, claims schema). It
 * never stores failures, never outlives the token's `exp` or the configured TTL, and every hit is
 * re-checked against the clock and the current key by the caller. Revocation and user checks are
 * not cached here (the stores have their own caches).
 *
 * @module
 */
import { ownCopy } from '../jws/compact.js'
import type { ResolvedIssuer } from '../options/resolve.js'
import type { VerificationKey } from '../keys/remote-jwks.js'
import type { AuthContext } from '../context/types.js'

/** The registered claims a cached verification keeps, as they were in the payload. */
// A type rather than an interface: it must pass where a plain claims record is read.
export type RegisteredClaims = {
  readonly iss: unknown
  readonly sub: unknown
  readonly jti: unknown
  readonly iat: unknown
  readonly nbf: unknown
  readonly exp: unknown
  /** The confirmation claim (RFC 7800): what the token is bound to, checked on every request. */
  readonly cnf: unknown
}

/** What a successful verification leaves behind. Claims and header are deep-frozen. */
export interface VerifiedToken {
  readonly issuer: ResolvedIssuer
  readonly header: Readonly<Record<string, unknown>> & { readonly alg: string }
  /**
   * The payload's registered claims (`iss`, `sub`, `jti`, `iat`, `nbf`, `exp`, `cnf`): all that
   * later requests need of it (time window, identity, revocation, binding). The rest of the payload lives on in
   * `claims`, so keeping the whole object too would hold every entry's claims twice.
   */
  readonly registered: RegisteredClaims
  readonly claims: unknown
  readonly roles: readonly string[]
  readonly scopes: readonly string[]
  /** The key that verified the signature (none for an opaque token, which has none). */
  readonly key: VerificationKey | undefined
  /** How it was verified: signature, introspection (an opaque token), or both. */
  readonly verifiedBy: AuthContext['verifiedBy']
  /** The DPoP key thumbprint the token is bound to (`cnf.jkt`, RFC 9449 §6.1), if any. */
  readonly jkt: string | undefined
}

interface Entry {
  /** The whole token: a hit must equal it, character for character. */
  readonly token: string
  readonly value: VerifiedToken
  /** Epoch ms after which the entry is dropped. */
  readonly until: number
  readonly bytes: number
  /** Insertion order stamp, renewed when the entry is moved to the young end. */
  seq: number
}

/**
 * Characters at the token's end that index its entry: about 130 bits of the signature, which
 * differ between any two tokens a key has signed. Hashing a string is linear in its length, and a
 * fresh header string is hashed on every request: indexing by the whole token cost about 0.6 µs per
 * hit for a 336-character EdDSA token, more for RS256. Only the index is short; a hit must match
 * the whole token, so two tokens that share the index are a miss for one of them, never a hit.
 */
const INDEX_CHARS = 22

/** The index of a token's entry (the whole token when it is shorter than that). */
function indexOf(token: string): string {
  return token.length <= INDEX_CHARS ? token : token.slice(token.length - INDEX_CHARS)
}

/** Fixed per-entry overhead estimate (Map slot, entry object, arrays), in bytes. */
const ENTRY_OVERHEAD = 512

/** Slots of the admission filter: 64 Ki stamps, 256 KiB, fixed for the cache's life. */
const DOORKEEPER_SLOTS = 1 << 16

/**
 * FNV-1a over the token's last 64 characters (the signature: distinct for distinct tokens), as two
 * independent 32-bit values: one picks the slot, the other is the stamp. Only admission depends on
 * it; a collision never makes one token pass for another, since a hit must equal the whole token.
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
 * A size- and byte-bounded LRU of whole tokens, indexed by their ends ({@link INDEX_CHARS}); one
 * entry per index, so a verified token that shares another's index replaces it. Only verified tokens
 * get in, and a client cannot choose the signature its issuer computes, so nobody can aim a token
 * at another's entry. Recency is kept approximately: a hit moves
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
    const index = indexOf(token)
    const entry = this.#entries.get(index)
    if (entry === undefined || entry.token !== token) return undefined
    if (nowMs >= entry.until) {
      this.#drop(index, entry)
      return undefined
    }
    if (this.#seq - entry.seq > this.#bumpDistance) {
      this.#entries.delete(index)
      entry.seq = ++this.#seq
      this.#entries.set(index, entry)
    }
    return entry.value
  }

  /**
   * Whether this exact token has an entry, expired or not: it was verified, so it passed the
   * compact gate. No side effects (no expiry, no recency), so a test may ask it.
   */
  holds(token: string): boolean {
    return this.#entries.get(indexOf(token))?.token === token
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
    const index = indexOf(token)
    const held = this.#entries.get(index)
    if (held?.token !== token) {
      const [slot, stamp] = fingerprint(token)
      if (this.#seenOnce[slot] !== stamp) {
        this.#seenOnce[slot] = stamp
        return false
      }
    }
    if (held !== undefined) this.#drop(index, held)
    // A copy of its own: the token is usually a slice of the request's header string, which the
    // entry would otherwise keep alive with everything else in it (a long Cookie header, say). The
    // index is cut from that copy.
    const own = ownCopy(token)
    this.#entries.set(indexOf(own), { token: own, value, until, bytes, seq: ++this.#seq })
    this.#bytes += bytes
    while (this.#entries.size > this.max || this.#bytes > this.maxBytes) {
      const oldest = this.#entries.entries().next()
      if (oldest.done === true) break
      this.#drop(...oldest.value)
    }
    return true
  }

  /** Drops one token (not another that shares its index). */
  delete(token: string): void {
    const index = indexOf(token)
    const entry = this.#entries.get(index)
    if (entry?.token === token) this.#drop(index, entry)
  }

  #drop(index: string, entry: Entry): void {
    this.#entries.delete(index)
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
