/**
 * Cache invalidation events and the sources that deliver them.
 *
 * A source is anything with `subscribe(listener) -> unsubscribe`. The package ships three: a local
 * hub ({@link createInvalidationHub}, for one process and for tests), Redis pub/sub
 * (`jwt-gate/stores/redis`) and PostgreSQL LISTEN/NOTIFY (`jwt-gate/stores/postgres`). Caches
 * (`jwt-gate/stores/cache`) drop the matching entries when an event arrives.
 *
 * @module
 */
import { createSubscribers } from './subscribers.js'

/**
 * One invalidation. `all` means "drop everything": sources send it when they may have missed
 * events (a reconnect) or cannot describe the change precisely.
 */
export type Invalidation =
  | { type: 'user'; username: string }
  | { type: 'token'; jti: string }
  | { type: 'subject'; subject: string }
  /** Revocation by another claim (`sid`, `client_id`): `RevocationStore.revokeClaim`. */
  | { type: 'claim'; claim: string; value: string }
  | { type: 'all' }

/** Receives invalidations. Must not throw; a throwing listener is isolated from the others. */
export type InvalidationListener = (event: Invalidation) => void

/** Anything that delivers invalidations: Redis pub/sub, PostgreSQL LISTEN/NOTIFY, a local hub. */
export interface InvalidationSource {
  /** Starts delivering events to `listener`; returns the function that stops it. */
  subscribe(listener: InvalidationListener): () => void
  /**
   * False while the source may be missing events (connecting, reconnecting, a failed health
   * check). Caches keep nothing while a source is not connected, so a broken channel can never
   * leave an instance serving stale entries. Absent: always connected.
   */
  readonly connected?: boolean
}

/** An in-process source that also publishes: {@link createInvalidationHub}. */
export interface InvalidationHub extends InvalidationSource {
  /** Delivers `event` synchronously to every current listener. */
  publish(event: Invalidation): void
}

/** Creates an in-process {@link InvalidationHub}. */
export function createInvalidationHub(): InvalidationHub {
  const subscribers = createSubscribers()
  return {
    subscribe: (listener) => subscribers.add(listener),
    publish: (event) => subscribers.emit(event),
  }
}

/**
 * Parses an invalidation received over the wire (JSON). Anything unrecognisable becomes `all`:
 * dropping too much is safe, keeping a revoked entry is not.
 */
export function parseInvalidation(text: string): Invalidation {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { type: 'all' }
  }
  if (typeof value !== 'object' || value === null) return { type: 'all' }
  const record = value as Record<string, unknown>
  if (record.type === 'user' && typeof record.username === 'string')
    return { type: 'user', username: record.username }
  if (record.type === 'token' && typeof record.jti === 'string')
    return { type: 'token', jti: record.jti }
  if (record.type === 'subject' && typeof record.subject === 'string')
    return { type: 'subject', subject: record.subject }
  if (
    record.type === 'claim' &&
    typeof record.claim === 'string' &&
    typeof record.value === 'string'
  )
    return { type: 'claim', claim: record.claim, value: record.value }
  return { type: 'all' }
}
