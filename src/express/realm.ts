/**
 * Carries the realm of `authenticate()` to the guards of the same request, on a symbol property so
 * it never shows up in logs or serialisation.
 *
 * @module
 */
import type { Request } from 'express'

const REALM = Symbol('jwt-gate.realm')

/** Records the realm for later guards. */
export function setRealm(req: Request, realm: string): void {
  ;(req as unknown as Record<symbol, string>)[REALM] = realm
}

/** The realm recorded by `authenticate()`, if any. */
export function getRealm(req: Request): string | undefined {
  return (req as unknown as Record<symbol, string | undefined>)[REALM]
}
