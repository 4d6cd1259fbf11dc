/**
 * The shape every `jwt-gate` sub-command has, and {@link defineCommand}, which gives each one the
 * same command-line parsing.
 *
 * @module
 */
import { parseCommandArgs, type CommandOptions, type ParsedArgs } from './args.js'
import type { CliIo, ExitCode } from './io.js'

/** One sub-command: its name, a one-line summary for the overview, its help, and its action. */
export interface Command {
  /** The word after `jwt-gate`. */
  name: string
  /** One line for `jwt-gate --help`. */
  summary: string
  /** The full `--help` text. */
  readonly help: string
  /** Runs the command with the arguments after its name. Throws UsageError or CommandError. */
  run(argv: string[], io: CliIo): Promise<ExitCode>
}

/** What a command declares: its words, its options and what it does with them parsed. */
export interface CommandSpec<O extends CommandOptions> {
  name: string
  summary: string
  /** The `--help` text, or a function making it when first asked for. */
  help: string | (() => string)
  options: O
  /** How many positionals the command takes at most. */
  maxPositionals: number
  run(args: ParsedArgs<O>, io: CliIo): Promise<ExitCode>
}

/**
 * A command whose command line is parsed the one way every command wants it (see
 * parseCommandArgs) before its `run` sees it.
 */
export function defineCommand<const O extends CommandOptions>(spec: CommandSpec<O>): Command {
  const { name, summary, help, options, maxPositionals } = spec
  return {
    name,
    summary,
    get help() {
      return typeof help === 'string' ? help : help()
    },
    run: (argv, io) => spec.run(parseCommandArgs(argv, maxPositionals, options), io),
  }
}
