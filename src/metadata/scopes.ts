/**
 * The scopes the app's scope guards require, for the `scopes_supported` of the protected-resource
 * metadata. `requireScopes()` and `requireAnyScope()` record theirs here when they are created.
 *
 * One registry per process (per copy of jwt-gate loaded): a guard does not know which gate runs
 * before it, so every gate with a `resource` lists the scopes of every scope guard in the process.
 * An app serving two resources with different scope sets lists the union in both documents
 * (`scopes_supported` is advisory: RFC 9728 §2 lets a resource leave some out). Guards are made at
 * start-up, so the set stops growing early; the documents are rebuilt only when it changes.
 *
 * @module
 */

const scopes = new Set<string>()
let version = 0

/** Records the scopes of a guard (already validated as RFC 6749 scope tokens). */
export function recordGuardScopes(required: readonly string[]): void {
  for (const scope of required) {
    if (!scopes.has(scope)) {
      scopes.add(scope)
      version += 1
    }
  }
}

/** The recorded scopes, and a number that changes whenever they do (to cache a document by). */
export function guardScopes(): { readonly scopes: ReadonlySet<string>; readonly version: number } {
  return { scopes, version }
}
