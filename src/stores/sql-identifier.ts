/**
 * Table and channel names end up inside SQL text (they cannot be bound as parameters), so they
 * are restricted to plain identifiers and always double-quoted.
 *
 * @module
 */
import { AuthConfigError } from '../errors.js'

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * Returns `name` double-quoted, or throws an {@link AuthConfigError} naming `option` if it is not
 * a plain identifier.
 */
export function quoteIdentifier(option: string, name: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name))
    throw new AuthConfigError(option, `must match ${String(IDENTIFIER)}`)
  return `"${name}"`
}
