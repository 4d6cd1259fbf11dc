/**
 * Carries the realm of `authenticate()` to the guards of the same request. A WeakMap rather than a
 * property: nothing shows up in logs or serialisation, and the request object keeps its shape.
 *
 * @module
 */
import type { Request } from 'express'

const realms = new WeakMap<Request, string>()

/** Records the realm for later guards. */
export function setRealm(req: Request, realm: string): void {
  realms.set(req, realm)
}

/** The realm recorded by `authenticate()`, if any. */
export function getRealm(req: Request): string | undefined {
  return realms.get(req)
}
