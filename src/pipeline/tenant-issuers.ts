/**
 * The issuer step for multi-tenant gates: a token whose `iss` names no configured issuer is looked
 * up through the `issuerResolver` option, and the answer is kept, bounded and for a time.
 *
 * - The `iss` is unverified: jwt-gate fetches nothing derived from it. The resolver decides what
 *   an `iss` costs (a map lookup, a database query); an absurdly long one is refused unasked.
 * - Answers are kept per `iss` for `ttl`, the least recently used past `max` dropped (its key set
 *   released); unknown issuers are remembered apart, for a shorter time, so a flood of made-up
 *   `iss` values neither reaches the resolver on every request nor pushes out a real tenant.
 * - Concurrent requests with the same new `iss` share one resolver call.
 * - A resolver that throws or times out is a 503, an invalid answer a 500: never a pass, and
 *   neither is remembered (the next request asks again).
 *
 * A remembered tenant is found synchronously, so a tenant with a static key keeps the synchronous
 * path of a configured issuer.
 *
 * @module
 */
import { InvalidTokenError, ServerMisconfiguredError, ServiceUnavailableError } from '../errors.js'
import type { ResolvedIssuer, TenantSettings } from '../options/resolve.js'
import { resolveTenant } from '../options/resolve-tenant.js'
import type { MaybePromise } from './maybe-promise.js'

/** Longest `iss` handed to the resolver: issuer identifiers are URLs, far shorter than this. */
export const MAX_ISS_LENGTH = 1024

/** What a key set may have to release (timers of a background refresh, say). */
interface Closable {
  close?: () => unknown
}

type Answer = Awaited<ReturnType<TenantSettings['resolve']>>

const untrusted = (): InvalidTokenError =>
  new InvalidTokenError('ERR_AUTH_ISSUER_UNTRUSTED', 'untrusted issuer')

/** The tenants of one authenticator. */
export class TenantIssuers {
  readonly #settings: TenantSettings
  /** Tenants by `iss`, least recently used first. */
  readonly #known = new Map<string, ResolvedIssuer>()
  /** Unknown issuers: until when (epoch ms) they stay unknown without asking. */
  readonly #unknown = new Map<string, number>()
  /** Resolver calls under way, shared by the requests that wait for them. */
  readonly #pending = new Map<string, Promise<ResolvedIssuer>>()

  constructor(settings: TenantSettings) {
    this.#settings = settings
  }

  /** Tenants held. */
  get size(): number {
    return this.#known.size
  }

  /**
   * The tenant issuer of `iss` (one no configured issuer has), or a throw: 401
   * `ERR_AUTH_ISSUER_UNTRUSTED` for an unknown or overlong `iss`, 503 or 500 for a failed answer.
   */
  lookup(iss: string, nowMs: number): MaybePromise<ResolvedIssuer> {
    if (iss.length > MAX_ISS_LENGTH) throw untrusted()
    const known = this.#remembered(iss, nowMs)
    if (known !== undefined) return known
    const unknownUntil = this.#unknown.get(iss)
    if (unknownUntil !== undefined) {
      if (nowMs < unknownUntil) throw untrusted()
      this.#unknown.delete(iss)
    }
    return this.#pending.get(iss) ?? this.#ask(iss, nowMs)
  }

  /** Drops every tenant and releases their key sets. */
  close(): void {
    for (const tenant of this.#known.values()) retire(tenant)
    this.#known.clear()
    this.#unknown.clear()
  }

  /** The tenant whose lease still holds, made the most recently used; drops an expired one. */
  #remembered(iss: string, nowMs: number): ResolvedIssuer | undefined {
    const tenant = this.#known.get(iss)
    if (tenant === undefined) return undefined
    this.#known.delete(iss)
    if (nowMs >= tenant.lease!.until) {
      retire(tenant)
      return undefined
    }
    this.#known.set(iss, tenant)
    return tenant
  }

  #ask(iss: string, nowMs: number): MaybePromise<ResolvedIssuer> {
    let answer: ReturnType<TenantSettings['resolve']>
    try {
      answer = this.#settings.resolve(iss)
    } catch (error) {
      throw unavailable(error)
    }
    if (!isThenable(answer)) return this.#settle(iss, answer, nowMs)
    const settled = withDeadline(answer, this.#settings.timeout)
      .then((value) => this.#settle(iss, value, nowMs))
      .finally(() => this.#pending.delete(iss))
    this.#pending.set(iss, settled)
    return settled
  }

  /** Remembers the answer and returns its tenant, or throws. */
  #settle(iss: string, answer: Answer, nowMs: number): ResolvedIssuer {
    const settings = this.#settings
    if (answer === undefined || answer === null) {
      this.#unknown.set(iss, nowMs + settings.negativeTtl)
      dropOldest(this.#unknown, settings.max)
      throw untrusted()
    }
    let tenant: ResolvedIssuer
    try {
      tenant = resolveTenant(answer, iss, settings, nowMs + settings.ttl)
    } catch (error) {
      // The message names the option, never the iss (an unverified token value) nor a key.
      throw new ServerMisconfiguredError(
        'ERR_AUTH_ISSUER_MISCONFIGURED',
        'the issuer resolver answered invalid issuer options',
        { cause: error },
      )
    }
    this.#known.set(iss, tenant)
    const evicted = dropOldest(this.#known, settings.max)
    if (evicted !== undefined) retire(evicted)
    return tenant
  }
}

/** Drops the least recently used entry past `max`, and returns it. */
function dropOldest<V>(map: Map<string, V>, max: number): V | undefined {
  if (map.size <= max) return undefined
  const [oldest, value] = map.entries().next().value as [string, V]
  map.delete(oldest)
  return value
}

/** Ends a tenant's lease (its verified tokens are verified afresh) and releases its key set. */
function retire(tenant: ResolvedIssuer): void {
  tenant.lease!.retired = true
  try {
    const closing = (tenant.keys as Closable).close?.()
    if (isThenable(closing)) Promise.resolve(closing).catch(() => undefined)
  } catch {
    // A key set that fails to close has nothing left to serve: the tenant is gone either way.
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

function unavailable(cause: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError('ERR_AUTH_ISSUER_UNAVAILABLE', 'issuer resolver unavailable', {
    cause,
  })
}

/**
 * The answer, or a 503 once `timeoutMs` has passed (our own timer: see `limitedFetch` in
 * `keys/remote-jwks.ts` on why not `AbortSignal.timeout()`).
 */
async function withDeadline(answer: PromiseLike<Answer>, timeoutMs: number): Promise<Answer> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new ServiceUnavailableError('ERR_AUTH_ISSUER_UNAVAILABLE', 'issuer resolver timed out'),
      )
    }, timeoutMs)
    timer.unref()
  })
  try {
    return await Promise.race([
      Promise.resolve(answer).then(undefined, (error: unknown) => {
        throw unavailable(error)
      }),
      deadline,
    ])
  } finally {
    clearTimeout(timer)
  }
}
