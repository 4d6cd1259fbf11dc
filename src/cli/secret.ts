/**
 * Reading an HMAC secret for `sign` and `inspect`: from an environment variable or a file, never
 * from the command line (where it would land in shell history and `ps`), and never echoed.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { CommandError, UsageError, type CliIo } from './io.js'
import { decodeStdBase64 } from './key-formats.js'
import { MIN_SECRET_BYTES } from '../jws/algorithms.js'
import { WEAK_SECRET_CODE, weakSecretWarning } from '../keys/secret-checks.js'
import { warn } from './warnings.js'

/** Where the secret comes from and how its text becomes bytes. */
export interface SecretOptions {
  env: string | undefined
  file: string | undefined
  encoding: 'utf8' | 'base64'
}

/** The CLI options every secret-taking command declares. */
export const secretOptionsConfig = {
  'secret-env': { type: 'string' },
  'secret-file': { type: 'string' },
  'secret-encoding': { type: 'string' },
} as const

/** Whether the command line asks for a secret at all. */
export function wantsSecret(options: SecretOptions): boolean {
  return options.env !== undefined || options.file !== undefined
}

/**
 * Reads the secret text. A file's single trailing newline is dropped (editors add one); the
 * bytes are checked to be at least `MIN_SECRET_BYTES` long once decoded, as the middleware requires.
 */
export async function readSecret(io: CliIo, options: SecretOptions): Promise<string> {
  if (options.env !== undefined && options.file !== undefined) {
    throw new UsageError('give either --secret-env or --secret-file, not both')
  }
  let text: string
  if (options.env !== undefined) {
    const value = io.env[options.env]
    if (value === undefined || value === '') {
      throw new CommandError(envNotSet('--secret-env'))
    }
    text = value
  } else if (options.file !== undefined) {
    try {
      text = (await readFile(resolve(io.cwd, options.file), 'utf8')).replace(/\r?\n$/, '')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable'
      throw new CommandError(`cannot read the secret file (--secret-file): ${code}`)
    }
  } else {
    throw new UsageError('no secret given: use --secret-env NAME or --secret-file FILE')
  }
  const bytes = secretBytes(text, options.encoding)
  if (bytes === undefined) throw new CommandError('the secret is not valid standard base64')
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new CommandError(
      `the secret is ${bytes.length} bytes; HMAC secrets need at least ${MIN_SECRET_BYTES}`,
    )
  }
  const weak = weakSecretWarning('the HMAC secret', bytes)
  // The middleware's code: `inspect`'s authenticator then says nothing more about it.
  if (weak !== undefined) warn(io, WEAK_SECRET_CODE, weak)
  return text
}

/**
 * The message for an unset variable. It names the option, not the variable: a secret given where
 * its variable's name belongs must not be printed back.
 */
export function envNotSet(option: string): string {
  return `the environment variable named by ${option} is not set or empty`
}

/** The secret's bytes under the given encoding, `undefined` for invalid base64. */
export function secretBytes(text: string, encoding: 'utf8' | 'base64'): Buffer | undefined {
  return encoding === 'base64' ? decodeStdBase64(text) : Buffer.from(text, 'utf8')
}
