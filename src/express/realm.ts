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

const realms = new WeakMap<Request, string>()

/** Records the realm for later guards of a request that has no context of its own. */
export function setRealm(req: Request, realm: string): void {
  realms.set(req, realm)
}

/**
 * Whether an `authenticate()` has run on this request: it left a context, or recorded the realm of
 * an anonymous (or rejected) outcome. Guards tell "no gate ran" (a mounting mistake) from "a gate
 * ran and found nothing" (a client without credentials) by it.
 */
export function gateRan(req: Request): boolean {
  return req.auth !== undefined || realms.has(req)
}

/** The realm recorded by `authenticate()`, if any. */
export function getRealm(req: Request): string | undefined {
  return RequestAuthContext.realmOf(req.auth) ?? realms.get(req)
}

const resourceMetadataUrls = new WeakMap<Request, string>()
/** Whether any gate has a `resource`: only then can a later gate have an entry to clear. */
let anyGateWithResource = false

/**
 * Records the `resource_metadata` URL of the gate at hand (undefined: none), for the challenges of
 * the guards behind it; the nearest gate wins, as for the realm. Costs nothing to an app without
 * a `resource`.
 */
export function setResourceMetadata(req: Request, url: string | undefined): void {
  if (url !== undefined) {
    anyGateWithResource = true
    resourceMetadataUrls.set(req, url)
  } else if (anyGateWithResource) {
    resourceMetadataUrls.delete(req)
  }
}

/** The `resource_metadata` URL recorded by `authenticate()`, if any. */
export function getResourceMetadata(req: Request): string | undefined {
  return resourceMetadataUrls.get(req)
}
