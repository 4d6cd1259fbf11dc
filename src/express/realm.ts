/**
 * Carries the realm of `authenticate()` to the guards of the same request, and the
 * `resource_metadata` URL of a gate with a `resource` (RFC 9728 §5.1). An authenticated
 * request carries it in its context (`req.auth`); only a request that stays anonymous is recorded
 * here. A WeakMap rather than a property: nothing shows up in logs or serialisation, and the
 * request object keeps its shape.
 *
 * @module
 */
import type { Request } from 'express'
import { RequestAuthContext } from '../context/auth-context.js'
import type { DpopChallenge } from '../challenge.js'

/** What a gate's challenges carry: made once per gate, so recording it allocates nothing. */
export interface GateChallenge {
  readonly realm: string
  /** The `resource_metadata` URL, when the gate has a `resource`. */
  readonly resourceMetadata: string | undefined
  /** The DPoP challenge, when the gate has the `dpop` option (RFC 9449 §7.1). */
  readonly dpop: DpopChallenge | undefined
}

const challenges = new WeakMap<Request, GateChallenge>()

/** Records the gate's challenge for later guards of a request that has no context of its own. */
export function setGateChallenge(req: Request, challenge: GateChallenge): void {
  challenges.set(req, challenge)
}

/**
 * Whether an `authenticate()` has run on this request: it left a context, or recorded the realm of
 * an anonymous (or rejected) outcome. Guards tell "no gate ran" (a mounting mistake) from "a gate
 * ran and found nothing" (a client without credentials) by it.
 */
export function gateRan(req: Request): boolean {
  return req.auth !== undefined || challenges.has(req)
}

/** The realm recorded by `authenticate()`, if any. */
export function getRealm(req: Request): string | undefined {
  return RequestAuthContext.realmOf(req.auth) ?? challenges.get(req)?.realm
}

/** The `resource_metadata` URL of the nearest `authenticate()`, if it has a `resource`. */
export function getResourceMetadata(req: Request): string | undefined {
  if (RequestAuthContext.realmOf(req.auth) !== undefined) {
    return RequestAuthContext.resourceMetadataOf(req.auth)
  }
  return challenges.get(req)?.resourceMetadata
}

/**
 * The DPoP challenge of the nearest gate with the `dpop` option, and whether the request used
 * DPoP, for a guard's error. Such a gate records its challenge for authenticated requests too.
 */
export function getDpopChallenge(
  req: Request,
): { readonly challenge: DpopChallenge; readonly used: boolean } | undefined {
  const challenge = challenges.get(req)?.dpop
  if (challenge === undefined) return undefined
  return { challenge, used: req.auth?.binding?.method === 'dpop' }
}
