/**
 * The claims a revocation store revokes by (besides `sub`), shared by the memory, Redis,
 * PostgreSQL and NATS stores and the cache: the checked `claims` option, and the values of those
 * claims a query carries.
 * Internal: each store documents its own `claims` option.
 *
 * @module
 */
import { AuthConfigError } from '../errors.js'
import type { RevocationQuery } from './types.js'
import { isUsableKey } from './validate.js'

/** The claims checked when a store is given none: a session's and a client's. */
const DEFAULT_REVOCABLE_CLAIMS: readonly string[] = ['sid', 'client_id']

// Names are keys in Redis (`claim:<name>:<value>`), so a colon would make two of them collide.
const CLAIM_NAME = /^[^:\s]{1,256}$/u

/**
 * Checks a store's `claims` option: `sub` plus the listed claim names, each a non-empty name
 * without a colon or whitespace. A mistake fails at start-up naming the option.
 */
export function revocableClaims(claims: unknown): ReadonlySet<string> {
  const names: unknown = claims ?? DEFAULT_REVOCABLE_CLAIMS
  if (
    !Array.isArray(names) ||
    !names.every((name) => typeof name === 'string' && CLAIM_NAME.test(name) && isUsableKey(name))
  )
    throw new AuthConfigError(
      'claims',
      'must be an array of claim names (non-empty, without colon or whitespace)',
    )
  return new Set(['sub', ...(names as string[])])
}

/** The checked claims other than `sub`: what a store exposes as its `claims`. */
export function claimsBesidesSub(revocable: ReadonlySet<string>): string[] {
  return [...revocable].filter((claim) => claim !== 'sub')
}

/**
 * The `[claim, value]` pairs of `query.claims` a store must check: the configured claims other
 * than `sub` (checked through `query.subject`) whose value is a usable key. A claim that is not a
 * string can never match a revocation, which is always by a string value.
 */
export function claimsToCheck(
  query: RevocationQuery,
  revocable: ReadonlySet<string>,
): [string, string][] {
  const pairs: [string, string][] = []
  const claims = query.claims
  if (claims === undefined || claims === null || typeof claims !== 'object') return pairs
  for (const claim of revocable) {
    if (claim === 'sub' || !Object.hasOwn(claims, claim)) continue
    const value = claims[claim]
    if (isUsableKey(value)) pairs.push([claim, value])
  }
  return pairs
}
