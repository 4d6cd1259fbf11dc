/**
 * The revocation events of the NATS store: their JSON form on the wire, and the checks every
 * received event passes before it is applied. Events come from the network, so they are
 * untrusted: anything that is not exactly one of the three documented shapes is refused with a
 * reason (never with its content), and nothing here can ever lift a revocation.
 *
 * ```json
 * { "type": "token",   "jti": "…", "expiresAt": 1767225600 }
 * { "type": "subject", "subject": "…", "before": 1767225000, "ttl": 3600 }
 * { "type": "claim",   "claim": "sid", "value": "…", "before": 1767225000, "ttl": 3600 }
 * ```
 *
 * Times are seconds since the epoch; `ttl` is counted from the time the NATS server stored the
 * event, so an instance replaying it later keeps it exactly as long as the one that saw it live.
 *
 * @module
 */
import { assertRevokeClaim, assertRevokeSubject, assertRevokeToken } from '../validate.js'

/** A revocation as it travels on the subject. */
export type RevocationEvent =
  | { type: 'token'; jti: string; expiresAt: number }
  | { type: 'subject'; subject: string; before: number; ttl: number }
  | { type: 'claim'; claim: string; value: string; before: number; ttl: number }

/** Largest event accepted, in bytes: keys are at most 1024 characters, so real events are small. */
export const MAX_EVENT_BYTES = 8192

/** The result of reading one event: the event, or why it was refused. */
export type ReadEvent = { event: RevocationEvent } | { refused: string }

/** Whether `record` has exactly the keys `keys` (no more, no fewer). */
function hasExactly(record: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(record)
  return own.length === keys.length && keys.every((key) => Object.hasOwn(record, key))
}

/** Checks a parsed record against the three shapes; throws a TypeError naming the problem. */
function checkShape(record: Record<string, unknown>, claims: ReadonlySet<string>): RevocationEvent {
  const { type } = record
  if (type === 'token' && hasExactly(record, ['type', 'jti', 'expiresAt'])) {
    assertRevokeToken(record.jti, record.expiresAt)
    const { jti, expiresAt } = record as { jti: string; expiresAt: number }
    return { type, jti, expiresAt }
  }
  if (type === 'subject' && hasExactly(record, ['type', 'subject', 'before', 'ttl'])) {
    assertRevokeSubject(record.subject, record.before, record.ttl)
    const { subject, before, ttl } = record as { subject: string; before: number; ttl: number }
    return { type, subject, before, ttl }
  }
  if (type === 'claim' && hasExactly(record, ['type', 'claim', 'value', 'before', 'ttl'])) {
    assertRevokeClaim(record.claim, claims)
    assertRevokeSubject(record.value, record.before, record.ttl)
    const event = record as { claim: string; value: string; before: number; ttl: number }
    if (event.claim === 'sub')
      return { type: 'subject', subject: event.value, before: event.before, ttl: event.ttl }
    return { type, claim: event.claim, value: event.value, before: event.before, ttl: event.ttl }
  }
  throw new TypeError('not one of the event shapes (token, subject, claim)')
}

/**
 * Reads one event from the wire. Refuses (with a reason that never quotes the data): oversized
 * data, invalid UTF-8 or JSON, unknown types, missing or extra fields, values the store's own
 * methods would refuse, and claims this store does not check.
 */
export function readEvent(data: Uint8Array, claims: ReadonlySet<string>): ReadEvent {
  if (data.byteLength > MAX_EVENT_BYTES) return { refused: 'event too large' }
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data))
  } catch {
    return { refused: 'event is not UTF-8 JSON' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { refused: 'event is not a JSON object' }
  try {
    return { event: checkShape(value as Record<string, unknown>, claims) }
  } catch (error) {
    return { refused: error instanceof Error ? error.message : 'invalid event' }
  }
}

/** The wire form of an event. */
export function encodeEvent(event: RevocationEvent): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(event))
}
