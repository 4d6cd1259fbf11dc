/**
 * Helpers around `node:util` `parseArgs`: its errors become {@link UsageError}s so that every
 * command exits with code 2 on a bad command line, and option values are checked the same way
 * everywhere.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './io.js'

/** Arguments longer than this are never quoted: a long one may be key material put in by mistake. */
const QUOTABLE_LENGTH = 20

/**
 * An argument as a message may quote it. Short printable words are quoted; anything longer is
 * described by its length, because a token, key or secret pasted where a name, path or option
 * belongs must not come back on the terminal or in a CI log.
 */
export function quoteArgument(value: string): string {
  return value.length <= QUOTABLE_LENGTH && /^[\x21-\x7e]*$/.test(value)
    ? `"${value}"`
    : `(a ${value.length}-character argument, not shown)`
}

/**
 * Runs a strict `parseArgs` call and turns its errors (unknown option, missing value, unexpected
 * positional) into usage errors. Node's messages quote the offending argument, so an unknown
 * option is re-worded through {@link quoteArgument}; the messages about a known option's value
 * name the option only and are kept.
 */
function usageErrors<T>(parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    if (
      err instanceof TypeError &&
      'code' in err &&
      String(err.code).startsWith('ERR_PARSE_ARGS')
    ) {
      throw new UsageError(parseArgsMessage(err))
    }
    throw err
  }
}

function parseArgsMessage(err: TypeError & { code: unknown }): string {
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return err.message
  const hint = 'a value starting with "-" goes after "--"'
  if (err.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return 'the command line cannot be parsed'
  // Node's wording differs between versions; when the option cannot be picked out, omit it.
  const option = /^Unknown option '(.*?)'(?:\. To specify|$)/s.exec(err.message)?.[1]
  return option === undefined
    ? `unknown option; ${hint}`
    : `unknown option ${quoteArgument(option)}; ${hint}`
}

/** Throws a usage error unless there are at most `max` positionals. */
function atMostPositionals(positionals: string[], max: number): void {
  if (positionals.length > max) {
    throw new UsageError(`unexpected argument ${quoteArgument(positionals[max] ?? '')}`)
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
    throw new UsageError(
      `--${option} must be one of ${allowed.join(', ')} (got ${quoteArgument(value)})`,
    )
  }
  return value
}

/** Parses a non-negative number of seconds (`--clock-tolerance 30`). */
export function nonNegativeNumber(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--${option} must be a non-negative number (got ${quoteArgument(value)})`)
  }
  return n
}

/** Parses an ISO 8601 date (`--now 2026-01-01T00:00:00Z`). */
export function isoDate(option: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(`--${option} must be an ISO 8601 date (got ${quoteArgument(value)})`)
  }
  return date
}

/** The options of a command, as `parseArgs` takes them. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>
type CommandArgs<O extends CommandOptions> = {
  args: string[]
  strict: true
  allowPositionals: true
  options: O
}
/** A command line parsed against `O`: `values` typed by the options, and `positionals`. */
export type ParsedArgs<O extends CommandOptions> = ReturnType<typeof parseArgs<CommandArgs<O>>>

/** One option configuration under several names. */
function named<const C, const N extends string>(config: C, names: N[]): Record<N, C> {
  return Object.fromEntries(names.map((name) => [name, config])) as Record<N, C>
}

/** Options that take a value: `--name VALUE`. */
export const valueOptions = <const N extends string>(...names: N[]) =>
  named({ type: 'string' } as const, names)

/** Options that take a value and may repeat: `--name A --name B`. */
export const repeatableOptions = <const N extends string>(...names: N[]) =>
  named({ type: 'string', multiple: true } as const, names)

/** Switches, off unless given: `--name`. */
export const switchOptions = <const N extends string>(...names: N[]) =>
  named({ type: 'boolean', default: false } as const, names)

/**
 * A command's command line, parsed the one way every command wants it: strict (unknown options
 * are errors), at most `maxPositionals` positionals, parse errors as usage errors.
 */
export function parseCommandArgs<const O extends CommandOptions>(
  argv: string[],
  maxPositionals: number,
  options: O,
): ParsedArgs<O> {
  const parsed = usageErrors(() =>
    parseArgs<CommandArgs<O>>({ args: argv, strict: true, allowPositionals: true, options }),
  )
  atMostPositionals(parsed.positionals, maxPositionals)
  return parsed
}
