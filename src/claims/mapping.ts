/**
 * Reads roles, scopes and the username out of validated claims, through configurable paths such as
 * `realm_access.roles` or whole namespaced names such as `https://example.com/roles`. Only own
 * properties are followed, so a path can never reach a prototype.
 *
 * @module
 */
import { InvalidTokenError } from '../errors.js'
import { isStringArray } from '../stores/validate.js'

/**
 * How a claim is named in an option or a guard: a string is the whole claim name first (Auth0's
 * `https://example.com/roles`), else a dotted path (`realm_access.roles`); an array names each
 * segment exactly, for a key with dots below the top level.
 */
export type ClaimPath = string | readonly string[]

/** A {@link ClaimPath} prepared once, at configuration time. */
export interface CompiledPath {
  /** The whole name, tried as one key first; absent for an array path or a name without dots. */
  readonly key: string | undefined
  readonly segments: readonly string[]
}

/** Prepares a claim path once, at configuration time. */
export function compilePath(path: ClaimPath): CompiledPath {
  if (typeof path !== 'string') return Object.freeze({ key: undefined, segments: [...path] })
  const segments = path.split('.')
  return Object.freeze({ key: segments.length > 1 ? path : undefined, segments })
}

/** Whether `path` is a usable claim path: a non-empty string, or non-empty strings in an array. */
export function isClaimPath(path: unknown): path is ClaimPath {
  if (typeof path === 'string') return path !== ''
  if (!Array.isArray(path) || path.length === 0) return false
  for (const segment of path) if (typeof segment !== 'string' || segment === '') return false
  return true
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The value at an own-property path, or undefined: the whole name first, then the segments. */
export function readPath(source: unknown, path: CompiledPath): unknown {
  if (path.key !== undefined && isRecord(source) && Object.hasOwn(source, path.key)) {
    return source[path.key]
  }
  let value: unknown = source
  for (const segment of path.segments) {
    if (!isRecord(value) || !Object.hasOwn(value, segment)) return undefined
    value = value[segment]
  }
  return value
}

/**
 * Several claims whose roles are merged, each entry a string or a SCIM-style object with a string
 * `value` (RFC 7643 §4.1.2, used by RFC 9068 §2.2.3.1 for `roles`, `groups`, `entitlements`).
 */
export interface MergedRolesPath {
  readonly merge: readonly CompiledPath[]
}

/** Where roles are read: one claim (`rolesClaim`), or several merged ones (an issuer profile's). */
export type RolesPath = CompiledPath | MergedRolesPath

/** Roles: an array of strings or a single string; absent means none. */
export function readRoles(claims: unknown, path: RolesPath): string[] {
  if ('merge' in path) return readMergedRoles(claims, path.merge)
  const value = readPath(claims, path)
  if (value === undefined) return []
  if (typeof value === 'string') return [value]
  if (isStringArray(value)) return [...value]
  throw new InvalidTokenError('ERR_AUTH_CLAIMS_INVALID', 'invalid roles claim')
}

/** The roles of every claim in `paths`, SCIM objects reduced to their `value`, without duplicates. */
function readMergedRoles(claims: unknown, paths: readonly CompiledPath[]): string[] {
  const roles = new Set<string>()
  for (const path of paths) {
    const value = readPath(claims, path)
    if (value === undefined) continue
    const entries: unknown[] = Array.isArray(value) ? value : [value]
    for (const entry of entries) {
      const role = typeof entry === 'string' ? entry : scimValue(entry)
      if (role === undefined) {
        const name = path.segments.join('.')
        throw new InvalidTokenError('ERR_AUTH_CLAIMS_INVALID', `invalid '${name}' claim`)
      }
      roles.add(role)
    }
  }
  return [...roles]
}

/** The string `value` of a SCIM multi-valued attribute's entry (`{ value, display, type }`). */
function scimValue(entry: unknown): string | undefined {
  if (!isRecord(entry) || !Object.hasOwn(entry, 'value')) return undefined
  return typeof entry.value === 'string' ? entry.value : undefined
}

/**
 * Scopes: a space-separated string (OAuth `scope`), an array of strings, or an object whose values
 * are string arrays (Auth-O-Tron's `scopes` map), flattened without duplicates.
 */
export function readScopes(claims: unknown, paths: readonly CompiledPath[]): string[] {
  for (const path of paths) {
    const value = readPath(claims, path)
    if (value === undefined) continue
    if (typeof value === 'string') return value.split(' ').filter((scope) => scope !== '')
    if (isStringArray(value)) return [...value]
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const lists = Object.values(value)
      if (lists.every(isStringArray)) return [...new Set(lists.flat())]
    }
    throw new InvalidTokenError('ERR_AUTH_CLAIMS_INVALID', 'invalid scopes claim')
  }
  return []
}
