/**
 * Reading an HMAC secret for `sign` and `inspect`: from an environment variable or a file, never
 * from the command line (where it would land in shell history and `ps`), and never echoed.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { valueOptions } from './args.js'
import { CommandError, UsageError, type CliIo } from './io.js'
import { PROBE_KEY_OPTION, problemOf, probeOptions, reworded, verdict } from './library.js'
import { decodeStdBase64 } from './raw-keys.js'
import { warn } from './warnings.js'

/** Where the secret comes from and how its text becomes bytes. */
export interface SecretOptions {
  env: string | undefined
  file: string | undefined
  encoding: 'utf8' | 'base64'
}

/** The CLI options every secret-taking command declares. */
export const secretOptionsConfig = valueOptions('secret-env', 'secret-file', 'secret-encoding')

/** Whether the command line asks for a secret at all. */
export function wantsSecret(options: SecretOptions): boolean {
  return options.env !== undefined || options.file !== undefined
}

/**
 * Reads the secret text. A file's single trailing newline is dropped (editors add one). The bytes
 * are put to the library as an issuer's secret: what it refuses (too short, a public key) the
 * command refuses, and what it warns about (a weak secret) the command warns about, in its words.
 */
export async function readSecret(io: CliIo, options: SecretOptions): Promise<string> {
  const text = await secretText(io, options)
  const bytes = secretBytes(text, options.encoding)
  if (bytes === undefined) throw new CommandError('the secret is not valid standard base64')
  const { refusal, warnings } = await verdict(probeOptions({ secret: bytes }))
  if (refusal !== undefined) throw new CommandError(`the secret ${problemOf(refusal)}`)
  const option = `${PROBE_KEY_OPTION}.secret`
  for (const warning of warnings) {
    warn(io, warning.code, reworded(warning, option, 'the HMAC secret'))
  }
  return text
}

/** The secret's text from the variable or file the options name. */
async function secretText(io: CliIo, options: SecretOptions): Promise<string> {
  if (options.env !== undefined && options.file !== undefined) {
    throw new UsageError('give either --secret-env or --secret-file, not both')
  }
  if (options.env !== undefined) {
    const value = io.env[options.env]
    if (value === undefined || value === '') {
      throw new CommandError(envNotSet('--secret-env'))
    }
    return value
  }
  if (options.file === undefined) {
    throw new UsageError('no secret given: use --secret-env NAME or --secret-file FILE')
  }
  try {
    return (await readFile(resolve(io.cwd, options.file), 'utf8')).replace(/\r?\n$/, '')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new CommandError(`cannot read the secret file (--secret-file): ${code}`)
  }
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

/**
 * The secret size an HMAC algorithm wants: its hash's output, named in bits by the algorithm
 * (`HS512`: 64 bytes). RFC 7518 §3.2 asks for at least that much; more adds no strength.
 */
export function hmacKeyBytes(alg: string): number {
  return Number(alg.slice(2)) / 8
}
