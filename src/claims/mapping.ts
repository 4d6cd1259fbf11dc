/**
 * Reads roles, scopes and the username out of validated claims, through configurable paths such as
 * `realm_access.roles`. Only own properties are followed, so a path can never reach a prototype.
 *
 * @module
 */
import { InvalidTokenError } from '../errors.js'

/** Splits `a.b.c` once, at configuration time. */
export function compilePath(path: string): readonly string[] {
  return path.split('.')
}

/** The value at an own-property path, or undefined. */
export function readPath(source: unknown, path: readonly string[]): unknown {
  let value: unknown = source
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
    if (!Object.hasOwn(value, segment)) return undefined
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}

function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false
  // A loop rather than every(): this runs for each freshly verified token.
  for (const item of value) if (typeof item !== 'string') return false
  return true
}

/** Roles: an array of strings or a single string; absent means none. */
export function readRoles(claims: unknown, path: readonly string[]): string[] {
  const value = readPath(claims, path)
  if (value === undefined) return []
  if (typeof value === 'string') return [value]
  if (isStringArray(value)) return [...value]
  throw new InvalidTokenError('ERR_AUTH_CLAIMS_INVALID', 'invalid roles claim')
}

/**
 * Scopes: a space-separated string (OAuth `scope`), an array of strings, or an object whose values
 * are string arrays (Auth-O-Tron's `scopes` map), flattened without duplicates.
 */
export function readScopes(claims: unknown, paths: readonly (readonly string[])[]): string[] {
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
