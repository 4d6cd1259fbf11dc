/**
 * The CLI's checks ask the library instead of restating its rules: an option the CLI wants to
 * judge (a cookie name, a raw Ed25519 key, a secret's length, whether an algorithm fits a key) is
 * put into issuer options and handed to `createAuthenticator`, which refuses it with an
 * {@link AuthConfigError} exactly as it would at an app's start. Nothing here verifies a token.
 *
 * @module
 */
import { generateKeyPairSync } from 'node:crypto'
import {
  AuthConfigError,
  SUPPORTED_ALGORITHMS,
  createAuthenticator,
  type Algorithm,
  type AuthenticateOptions,
  type IssuerOptions,
  type KeySource,
} from '../index.js'

/** The issuer a probe configures; its name is never shown. */
const PROBE_ISSUER = 'jwt-gate-cli-probe'
/** The option path of the probe issuer's key, as the library names it in errors and warnings. */
export const PROBE_KEY_OPTION = 'issuers[0].key'

/** One warning the library emitted while it judged the options. */
export interface LibraryWarning {
  code: string
  message: string
}

/** What the library said about a set of options: the refusal, if any, and its warnings. */
export interface Verdict {
  refusal: AuthConfigError | undefined
  warnings: LibraryWarning[]
}

/**
 * Options of one issuer with `key` (and `extra`). `audience: false`, because a probe judges one
 * option and the library's unchecked-audience warning would only be noise.
 */
export function probeOptions(
  key: KeySource,
  extra: Partial<IssuerOptions> = {},
  top: Partial<AuthenticateOptions> = {},
): AuthenticateOptions {
  return { ...top, issuers: [{ issuer: PROBE_ISSUER, audience: false, ...extra, key }] }
}

/**
 * The library's refusal of `options`, or undefined when it accepts them. For options that cannot
 * make the library warn (no HMAC secret); see {@link verdict} for those that can.
 */
export function refusal(options: AuthenticateOptions): AuthConfigError | undefined {
  try {
    void createAuthenticator(options).close()
    return undefined
  } catch (err) {
    if (err instanceof AuthConfigError) return err
    throw err
  }
}

/**
 * The library's refusal and the warnings it gives for `options`. Its warnings are process
 * warnings, emitted on the next tick: every `warning` listener is set aside until they have
 * arrived, so that the caller decides what is printed. The library warns once per code and
 * process; the binary runs one command per process.
 */
export async function verdict(options: AuthenticateOptions): Promise<Verdict> {
  const listeners = process.listeners('warning')
  const warnings: LibraryWarning[] = []
  const others: Error[] = []
  process.removeAllListeners('warning')
  process.on('warning', (warning) => {
    const code = (warning as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('JWT_GATE_')) {
      warnings.push({ code, message: warning.message })
    } else {
      others.push(warning)
    }
  })
  try {
    const refused = refusal(options)
    await new Promise((resolve) => setImmediate(resolve))
    return { refusal: refused, warnings }
  } finally {
    process.removeAllListeners('warning')
    for (const listener of listeners) process.on('warning', listener)
    for (const warning of others) for (const listener of listeners) listener(warning)
  }
}

/** What the library found wrong, without its `jwt-gate: invalid option "…":` preamble. */
export function problemOf(error: AuthConfigError): string {
  const preamble = `jwt-gate: invalid option "${error.option}": `
  return error.message.startsWith(preamble) ? error.message.slice(preamble.length) : error.message
}

/**
 * A library warning about the probe's key, worded for the command line: the library names the
 * option (`jwt-gate: "issuers[0].key.secret" looks weak: …`), the CLI names what the user gave.
 */
export function reworded(warning: LibraryWarning, option: string, name: string): string {
  return warning.message.replace(`jwt-gate: "${option}"`, name)
}

let probePublicKey: KeySource | undefined

/** An Ed25519 public key made for probes: of options other than the key, or of its family. */
function probeEd25519Key(): KeySource {
  probePublicKey ??= {
    pem: generateKeyPairSync('ed25519')
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString(),
  }
  return probePublicKey
}

/** Whether the library takes `name` as the token cookie's name (RFC 6265 grammar). */
export function isCookieNameAccepted(name: string): boolean {
  return refusal(probeOptions(probeEd25519Key(), {}, { cookie: { name } })) === undefined
}

/** Every algorithm the library accepts for `key` at start-up, in its own order. */
export function algorithmsFittingKey(key: KeySource): Algorithm[] {
  return SUPPORTED_ALGORITHMS.filter(
    (alg) => refusal(probeOptions(key, { algorithms: [alg] })) === undefined,
  )
}

/** The algorithms of every Ed25519 key, as the library answers for one. */
export function ed25519Algorithms(): Algorithm[] {
  return algorithmsFittingKey(probeEd25519Key())
}

/**
 * A secret the library takes without a word: 32 distinct bytes. Any secret fits the same
 * algorithms, so this one stands for all of them when the question is the algorithm.
 */
const PROBE_SECRET = Uint8Array.from({ length: 32 }, (_, i) => i)

let hmac: Algorithm[] | undefined

/** The algorithms an HMAC secret is used with, as the library answers for a secret. */
export function hmacAlgorithms(): Algorithm[] {
  hmac ??= algorithmsFittingKey({ secret: PROBE_SECRET })
  return hmac
}

/**
 * Why the library refuses `issuer` for `key: { discovery: true }`, without its echo of the value;
 * undefined when it takes it. Nothing is fetched: the gate is closed unused.
 */
export function discoveryIssuerRefusal(issuer: string): string | undefined {
  const refused = refusal(probeOptions({ discovery: true }, { issuer }))
  return refused === undefined ? undefined : problemOf(refused).replace(/ \(got ".*"\)$/s, '')
}

/**
 * Whether the library refuses an issuer with `profile: 'rfc9068'` for want of an audience, given
 * the issuer's audience and the gate's resource (each left out when undefined).
 */
export function profileAudienceRefused(
  audience: string[] | undefined,
  resource: string | undefined,
): boolean {
  const refused = refusal(
    probeOptions(
      probeEd25519Key(),
      { profile: 'rfc9068', audience: audience?.length === 0 ? undefined : audience },
      resource === undefined ? {} : { resource },
    ),
  )
  return refused?.option === 'issuers[0].audience'
}
