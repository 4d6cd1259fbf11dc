/**
 * NATS revocation store (`jwt-gate/stores/nats`): every instance holds the revocations in memory
 * and learns them from a JetStream stream, which is also the durable log a starting or
 * reconnecting instance replays. See docs/stores.md ("NATS") for the design and the event format
 * another program may publish (module `./events.ts`).
 *
 * - A revocation made here is applied here at once, then published to the stream (the call
 *   resolves once the server stored it); every instance applies it when it arrives.
 * - The stream keeps each event `maxLifetime` + {@link MAX_CLOCK_TOLERANCE} seconds, as long as
 *   any revocation can matter; revocations that would need longer are refused.
 * - Until an instance has replayed the stream, and from a disconnection until it has replayed it
 *   again, `isRevoked` throws (the gate answers 503): it never answers from a view it cannot
 *   keep current.
 *
 * @module
 */
import type { JsMsg, NatsConnection } from 'nats'
import { AuthConfigError } from '../../errors.js'
import type { Invalidation, InvalidationSource } from '../invalidation.js'
import { createMemoryRevocationStore } from '../memory.js'
import { claimsBesidesSub, revocableClaims } from '../revocable-claims.js'
import { createSubscribers } from '../subscribers.js'
import type { RevocationQuery, RevocationStore } from '../types.js'
import { MAX_CLOCK_TOLERANCE } from '../validate.js'
import { encodeEvent, readEvent } from './events.js'
import type { RevocationEvent } from './events.js'
import { openConnection, SUBJECT } from './connection.js'
import { follow } from './follower.js'
import type { Follower, FollowerOptions } from './follower.js'

export type { RevocationEvent } from './events.js'
export { createNatsInvalidationChannel } from './channel.js'
export type { NatsInvalidationChannel, NatsInvalidationChannelOptions } from './channel.js'

/** Options of {@link createNatsRevocationStore}. */
export interface NatsRevocationStoreOptions {
  /**
   * A connection of yours (it must reconnect forever, `maxReconnectAttempts: -1`, and ping often
   * enough to notice a dead server), or server URL(s) for a connection the store owns.
   */
  nats: NatsConnection | string
  /**
   * The longest lifetime of a revocation in seconds: the longest token lifetime, and the largest
   * `ttl` of `revokeSubject`/`revokeClaim`. The stream keeps events this long plus
   * `MAX_CLOCK_TOLERANCE`; longer revocations are refused with a RangeError.
   */
  maxLifetime: number
  /** Subject the events travel on (no wildcards). @defaultValue `'jwt-gate.revocations'` */
  subject?: string
  /** JetStream stream holding them (created if absent). @defaultValue `'JWT_GATE_REVOCATIONS'` */
  stream?: string
  /** Claims besides `sub` revocable by `revokeClaim`. @defaultValue `['sid', 'client_id']` */
  claims?: readonly string[]
  /** Clock for expiry. @defaultValue `() => new Date()` */
  clock?: () => Date
  /** Most revocations held per instance. @defaultValue 1000000 */
  max?: number
  /**
   * Called for each event on the subject that is refused (malformed, unknown type, a claim this
   * store does not check), with the reason; never with the event's content. Refused events
   * change nothing.
   */
  onInvalidEvent?: (reason: string) => void
}

/** The NATS revocation store. */
export interface NatsRevocationStore extends RevocationStore {
  /** The claims besides `sub` this store checks (its `claims` option); `cacheRevocationStore` keys by them. */
  readonly claims: readonly string[]
  revokeClaim(claim: string, value: string, before: number, ttl: number): Promise<void>
  /** Resolves once this instance has replayed the stream; rejects on a misconfigured stream. */
  ready(): Promise<void>
  /**
   * The revocations this instance applies, as invalidation events (`all` when it resyncs);
   * `connected` is false while it is not caught up.
   */
  invalidations: InvalidationSource
  /** Stops following, and closes the connection if the store opened it. Idempotent. */
  close(): Promise<void>
}

const STREAM = /^[A-Za-z0-9_-]{1,64}$/u

/** Checks the options that are not connection-related; fails naming the option. */
function checkOptions(options: NatsRevocationStoreOptions): { subject: string; stream: string } {
  const subject = options.subject ?? 'jwt-gate.revocations'
  const stream = options.stream ?? 'JWT_GATE_REVOCATIONS'
  if (typeof subject !== 'string' || !SUBJECT.test(subject))
    throw new AuthConfigError('subject', 'must be a NATS subject without wildcards')
  if (typeof stream !== 'string' || !STREAM.test(stream))
    throw new AuthConfigError('stream', 'must be a JetStream stream name (letters, digits, _ -)')
  const { maxLifetime } = options
  if (!Number.isInteger(maxLifetime) || maxLifetime < 1)
    throw new AuthConfigError('maxLifetime', 'must be a positive integer number of seconds')
  return { subject, stream }
}

/** The invalidation a revocation event means for caches. */
function invalidationOf(event: RevocationEvent): Invalidation {
  if (event.type === 'token') return { type: 'token', jti: event.jti }
  if (event.type === 'subject') return { type: 'subject', subject: event.subject }
  return { type: 'claim', claim: event.claim, value: event.value }
}

/** The memory store holding this instance's view, whose `revokeClaim` always exists. */
type LocalView = ReturnType<typeof createMemoryRevocationStore> & {
  revokeClaim: NonNullable<RevocationStore['revokeClaim']>
}

/** Applies an event to the local view; a mark's ttl counts from when the server stored it. */
function applyTo(
  local: LocalView,
  event: RevocationEvent,
  storedAt: number,
  now: number,
): Promise<void> {
  if (event.type === 'token') return local.revokeToken(event.jti, event.expiresAt)
  const left = Math.ceil(storedAt + event.ttl - now)
  // Past its ttl and every clock tolerance: nothing left to deny.
  if (left + MAX_CLOCK_TOLERANCE <= 0) return Promise.resolve()
  const [claim, value] =
    event.type === 'subject' ? ['sub', event.subject] : [event.claim, event.value]
  return local.revokeClaim(claim, value, event.before, Math.max(1, left))
}

/** The in-memory view of one instance, holding the claims this store checks. */
function localView(options: NatsRevocationStoreOptions, claims: ReadonlySet<string>): LocalView {
  return createMemoryRevocationStore({
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    max: options.max ?? 1_000_000,
    claims: claimsBesidesSub(claims),
  })
}

/** Starts following the stream once connected; `current()` is the follower once it exists. */
function startFollowing(
  connection: Promise<NatsConnection>,
  settings: Omit<FollowerOptions, 'connection'>,
): { started: Promise<Follower>; current: () => Follower | undefined } {
  let current: Follower | undefined
  const started = connection.then((nc) => (current = follow({ ...settings, connection: nc })))
  started.catch(() => undefined)
  return { started, current: () => current }
}

/** Fails a revocation the stream would forget before it ends. */
function checkLifetime(seconds: number, maxLifetime: number): void {
  if (seconds > maxLifetime)
    throw new RangeError(`a revocation may last at most maxLifetime (${maxLifetime} s)`)
}

/** Revocations made here: applied here at once, then stored in the stream for everyone. */
function writers(
  local: LocalView,
  publish: (event: RevocationEvent) => Promise<void>,
  nowSeconds: () => number,
  maxLifetime: number,
): Pick<NatsRevocationStore, 'revokeToken' | 'revokeClaim'> {
  return {
    async revokeToken(jti, expiresAt) {
      checkLifetime(expiresAt - nowSeconds(), maxLifetime)
      await local.revokeToken(jti, expiresAt)
      // Past every tolerance there is nothing to deny, here or elsewhere.
      if (expiresAt + MAX_CLOCK_TOLERANCE > nowSeconds())
        await publish({ type: 'token', jti, expiresAt })
    },
    async revokeClaim(claim, value, before, ttl) {
      checkLifetime(ttl, maxLifetime)
      await local.revokeClaim(claim, value, before, ttl)
      const event: RevocationEvent =
        claim === 'sub'
          ? { type: 'subject', subject: value, before, ttl }
          : { type: 'claim', claim, value, before, ttl }
      await publish(event)
    },
  }
}

/**
 * Creates a {@link NatsRevocationStore}; see the module description. Configuration mistakes
 * throw an `AuthConfigError` naming the option; a stream of the wrong configuration makes
 * `ready()` reject and every `isRevoked` throw.
 */
export function createNatsRevocationStore(
  options: NatsRevocationStoreOptions,
): NatsRevocationStore {
  const { subject, stream } = checkOptions(options)
  const claims = revocableClaims(options.claims)
  const clock = options.clock ?? (() => new Date())
  const nowSeconds = (): number => clock().getTime() / 1000
  const local = localView(options, claims)
  const subscribers = createSubscribers()
  const opened = openConnection(options.nats)
  const { connection } = opened
  const following = startFollowing(connection, {
    stream,
    subject,
    maxAgeSeconds: options.maxLifetime + MAX_CLOCK_TOLERANCE,
    async apply(message: JsMsg) {
      const read = readEvent(message.data, claims)
      if ('refused' in read) return options.onInvalidEvent?.(read.refused)
      await applyTo(local, read.event, message.info.timestampNanos / 1e9, nowSeconds())
      subscribers.emit(invalidationOf(read.event))
    },
    onResync: () => subscribers.emit({ type: 'all' }),
  })
  const caughtUp = (): boolean => following.current()?.caughtUp === true
  const publish = async (event: RevocationEvent): Promise<void> => {
    await (await connection).jetstream().publish(subject, encodeEvent(event))
  }
  const revocations = writers(local, publish, nowSeconds, options.maxLifetime)
  let closing: Promise<void> | undefined

  const store: NatsRevocationStore = {
    claims: claimsBesidesSub(claims),
    isRevoked(query: RevocationQuery) {
      if (caughtUp()) return local.isRevoked(query)
      const why = 'nats revocation store: not caught up with the stream (connecting or replaying)'
      return Promise.reject(following.current()?.failure ?? new Error(why))
    },
    ...revocations,
    revokeSubject: (subject, before, ttl) => revocations.revokeClaim('sub', subject, before, ttl),
    ready: () => following.started.then((follower) => follower.ready),
    invalidations: {
      subscribe: (listener) => subscribers.add(listener),
      get connected() {
        return caughtUp()
      },
    },
    close() {
      closing ??= (async () => {
        subscribers.clear()
        // A follower that starts after this (the connection came up late) stops at once.
        void following.started.then((follower) => follower.stop()).catch(() => undefined)
        await opened.close()
      })()
      return closing
    },
  }
  return store
}
