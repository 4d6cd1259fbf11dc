/**
 * The world a command sees: output streams, standard input, environment, working directory and
 * clock. Commands never touch `process` directly, so tests run them in-process with captured
 * output and a fixed clock, and the real entry point passes {@link nodeIo}.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { text } from 'node:stream/consumers'

/** Exit codes shared by every command. */
export const EXIT = {
  /** The command did what was asked; a token passed; a configuration has no errors. */
  ok: 0,
  /** The command ran but the answer is no: a rejected token, a failed check, unusable input. */
  failed: 1,
  /** The command line itself is wrong: unknown option, missing argument, bad option value. */
  usage: 2,
} as const

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** Everything a command may use to talk to the outside world. */
export interface CliIo {
  /** Writes to standard output (the caller adds newlines). */
  stdout(chunk: string): void
  /** Writes to standard error. */
  stderr(chunk: string): void
  /** Reads standard input to its end. */
  readStdin(): Promise<string>
  /** The environment variables. */
  env: Record<string, string | undefined>
  /** Directory relative paths are resolved against. */
  cwd: string
  /** The current time. */
  now(): Date
}

/** The real process: `process.stdout`, `process.env`, the wall clock. */
export function nodeIo(): CliIo {
  return {
    stdout: (chunk) => void process.stdout.write(chunk),
    stderr: (chunk) => void process.stderr.write(chunk),
    readStdin: () => text(process.stdin),
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
  }
}

/** The command line is wrong; the message says how, and the command exits with {@link EXIT.usage}. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/**
 * The command ran but could not do its job (unreadable file, key of the wrong kind). Exits with
 * {@link EXIT.failed}. Messages name the input, never its content.
 */
export class CommandError extends Error {
  override name = 'CommandError'
}

/**
 * Reads a file argument, or standard input for `-`. A file that cannot be read is named by its
 * option, not its path: what was given may be key material pasted where the path belongs.
 *
 * @param what - What the file should hold and where it was given, for the error message
 *   ("key file (--key)", "config file").
 */
export async function readTextInput(io: CliIo, path: string, what: string): Promise<string> {
  if (path === '-') return io.readStdin()
  try {
    return await readFile(resolve(io.cwd, path), 'utf8')
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new CommandError(`cannot read the ${what}: ${reason}`)
  }
}

/**
 * Runs `parse` on the text of a file that was read and names the file in its errors: `key file
 * "keys/a.jwk": not valid JSON`. Only {@link CommandError} messages, which never quote their
 * input, are passed on; anything else becomes "unusable", since a parser's own message may quote
 * the key (JSON.parse does).
 */
export function parseInput<T>(path: string, what: string, parse: () => T): T {
  const where = path === '-' ? `${what} on standard input` : `${what} "${path}"`
  try {
    return parse()
  } catch (err) {
    const problem = err instanceof CommandError ? err.message : 'not usable'
    throw new CommandError(`${where}: ${problem}`)
  }
}

/** Writes a value as pretty JSON followed by a newline. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`)
}

/**
 * A JSON text that must hold an object. `fail` makes the error for text that is not JSON or holds
 * something else: the parser's own message would quote the text, which may be key material.
 */
export function parseJsonObject(
  text: string,
  fail: (problem: 'not JSON' | 'not an object') => Error,
): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw fail('not JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw fail('not an object')
  }
  return parsed as Record<string, unknown>
}
