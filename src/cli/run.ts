/**
 * The dispatcher behind the `jwt-gate` binary: picks the sub-command, answers `--help`, and turns
 * errors into exit codes (0 ok, 1 rejected or failed, 2 usage error). Free of side effects on
 * import, so tests call {@link runCli} with a captured {@link CliIo}.
 *
 * @module
 */
import { quoteArgument } from './args.js'
import { checkConfigCommand } from './check-config.js'
import type { Command } from './command.js'
import { convertCommand } from './convert.js'
import { inspectCommand } from './inspect.js'
import { CommandError, EXIT, UsageError, type CliIo, type ExitCode } from './io.js'
import { keygenCommand } from './keygen.js'
import { signCommand } from './sign.js'

/** Every sub-command, in the order the overview lists them. */
export const commands: readonly Command[] = [
  keygenCommand,
  convertCommand,
  inspectCommand,
  signCommand,
  checkConfigCommand,
]

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  return [
    'Usage: jwt-gate <command> [options]',
    '',
    'Keys and tokens for jwt-gate, the Express JWT middleware.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "jwt-gate <command> --help" for the options of a command.',
    'Exit codes: 0 ok, 1 rejected token or failed check, 2 usage error.',
    '',
  ].join('\n')
}

/** Whether `--help`/`-h` appears before a `--` terminator. */
function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--')
  const head = end === -1 ? argv : argv.slice(0, end)
  return head.includes('--help') || head.includes('-h')
}

/** Runs `jwt-gate` with the arguments after the program name and returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCode> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io[name === undefined ? 'stderr' : 'stdout'](overview())
    return name === undefined ? EXIT.usage : EXIT.ok
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${await packageVersion()}\n`)
    return EXIT.ok
  }
  const command = commands.find((c) => c.name === name)
  if (command === undefined) {
    io.stderr(`jwt-gate: unknown command ${quoteArgument(name)}\n\n${overview()}`)
    return EXIT.usage
  }
  if (wantsHelp(rest)) {
    io.stdout(command.help)
    return EXIT.ok
  }
  try {
    return await command.run(rest, io)
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`jwt-gate ${name}: ${err.message}\nRun "jwt-gate ${name} --help" for usage.\n`)
      return EXIT.usage
    }
    if (err instanceof CommandError) {
      io.stderr(`jwt-gate ${name}: ${err.message}\n`)
      return EXIT.failed
    }
    // Unexpected failures: the class and code only. Never the message or the stack, which may
    // quote the input (JSON.parse does) and with it a key, secret or token.
    io.stderr(`jwt-gate ${name}: unexpected ${describeUnexpected(err)}; please report this\n`)
    return EXIT.failed
  }
}

function describeUnexpected(err: unknown): string {
  const errName = err instanceof Error ? err.name : typeof err
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? `${errName} (${code})` : errName
}

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  const url = new URL('../../package.json', import.meta.url)
  const pkg = JSON.parse(await readFile(url, 'utf8')) as { version?: string }
  return pkg.version ?? 'unknown'
}
