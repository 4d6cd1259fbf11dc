/**
 * The shape every `jwt-gate` sub-command has.
 *
 * @module
 */
import type { CliIo, ExitCode } from './io.js'

/** One sub-command: its name, a one-line summary for the overview, its help, and its action. */
export interface Command {
  /** The word after `jwt-gate`. */
  name: string
  /** One line for `jwt-gate --help`. */
  summary: string
  /** The full `--help` text. */
  help: string
  /** Runs the command with the arguments after its name. Throws UsageError or CommandError. */
  run(argv: string[], io: CliIo): Promise<ExitCode>
}
