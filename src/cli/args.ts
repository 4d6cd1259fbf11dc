/**
 * Helpers around `node:util` `parseArgs`: its errors become {@link UsageError}s so that every
 * command exits with code 2 on a bad command line, and option values are checked the same way
 * everywhere.
 *
 * @module
 */
import { UsageError } from './io.js'

/**
 * Runs a strict `parseArgs` call and turns its errors (unknown option, missing value, unexpected
 * positional) into usage errors.
 *
 * @example
 * ```ts
 * const { values } = usageErrors(() => parseArgs({ args: argv, strict: true, options }))
 * ```
 */
export function usageErrors<T>(parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    if (
      err instanceof TypeError &&
      'code' in err &&
      String(err.code).startsWith('ERR_PARSE_ARGS')
    ) {
      throw new UsageError(err.message)
    }
    throw err
  }
}

/** Throws a usage error unless there are at most `max` positionals. */
export function atMostPositionals(positionals: string[], max: number): void {
  if (positionals.length > max) {
    throw new UsageError(`unexpected argument "${positionals[max] ?? ''}"`)
  }
}

/** Returns the value when it is one of `allowed`, else throws a usage error naming the option. */
export function oneOf<const A extends readonly string[]>(
  option: string,
  value: string | undefined,
  allowed: A,
): A[number] | undefined {
  if (value === undefined) return undefined
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${option} must be one of ${allowed.join(', ')} (got "${value}")`)
  }
  return value
}

/** Parses a non-negative number of seconds (`--clock-tolerance 30`). */
export function nonNegativeNumber(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--${option} must be a non-negative number (got "${value}")`)
  }
  return n
}

/** Parses an ISO 8601 date (`--now 2026-01-01T00:00:00Z`). */
export function isoDate(option: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(`--${option} must be an ISO 8601 date (got "${value}")`)
  }
  return date
}
