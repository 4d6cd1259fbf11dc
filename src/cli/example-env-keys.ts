/**
 * The key variables of the example app's environment (`check-config --env`): exactly one key
 * source, each usable, and `JWT_ALGORITHMS` fitting it. Whether a key, a secret or an algorithm is
 * acceptable is asked of the library; values are never echoed.
 *
 * @module
 */
import type { KeyObject } from 'node:crypto'
import { SUPPORTED_ALGORITHMS } from '../index.js'
import { quoteArgument } from './args.js'
import { checkPublicKey } from './cc-keys.js'
import { httpUrl, list, read, readFileVariable, safeJson, type Env } from './env-values.js'
import { CommandError } from './io.js'
import {
  algorithmsFor,
  describeKey,
  detectKeyFormat,
  isPrivateKeyText,
  parsePublicKey,
} from './key-formats.js'
import { ed25519Algorithms, hmacAlgorithms, problemOf, probeOptions, verdict } from './library.js'
import type { ProblemList } from './problems.js'

/** The four mutually exclusive key variables of the example app. */
export const KEY_VARIABLES = ['JWT_PUBLIC_KEY', 'JWT_PUBLIC_KEY_FILE', 'JWT_JWKS_URL', 'JWT_SECRET']

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** The configured key, as far as the algorithm check needs it. */
export interface KeyKind {
  algorithms: readonly string[]
  description: string
}

function checkKeyFile(text: string, problems: ProblemList): KeyKind | undefined {
  const name = 'JWT_PUBLIC_KEY_FILE'
  if (isPrivateKeyText(text)) {
    problems.error(name, 'holds a private key; give the public key or a certificate')
    return undefined
  }
  const format = detectKeyFormat(text)
  const parsedJson = format === 'jwk' ? safeJson(text) : undefined
  if (format === 'jwk' && parsedJson === undefined) {
    problems.error(name, 'is not valid JSON')
    return undefined
  }
  const keys = (parsedJson as { keys?: unknown } | undefined)?.keys
  if (Array.isArray(keys)) {
    if (keys.length === 0) problems.error(name, 'the JWKS has no keys')
    // A JWKS may mix key types; the algorithm check is left to the app for it.
    return undefined
  }
  let key: KeyObject
  try {
    key = parsePublicKey(text, format)
  } catch (err) {
    // Only the key-format helpers' own messages, which never quote the key, are passed on.
    const reason = err instanceof CommandError ? ` (${err.message})` : ''
    problems.error(name, `not a usable public key${reason}`)
    return undefined
  }
  return { algorithms: algorithmsFor(key), description: describeKey(key) }
}

/** A raw Ed25519 public key variable (JWT_PUBLIC_KEY, or the cross-login key's partner). */
function rawPublicKey(name: string, value: string, problems: ProblemList): KeyKind | undefined {
  if (!checkPublicKey([name, value], problems)) return undefined
  return { algorithms: ed25519Algorithms(), description: 'Ed25519' }
}

/** JWT_SECRET: its bytes are what the issuer signs with, not trimmed, and never echoed. */
async function secretKey(env: Env, problems: ProblemList): Promise<KeyKind | undefined> {
  const { refusal } = await verdict(
    probeOptions({ secret: env.JWT_SECRET ?? '', encoding: 'utf8' }),
  )
  if (refusal !== undefined) {
    problems.error('JWT_SECRET', problemOf(refusal))
    return undefined
  }
  return { algorithms: hmacAlgorithms(), description: 'HMAC secret' }
}

/** JWT_JWKS_URL: https:, or http: on loopback. The keys are the app's to fetch. */
function jwksUrl(env: Env, problems: ProblemList): undefined {
  const url = httpUrl(env, 'JWT_JWKS_URL', problems)
  if (url !== undefined && url.protocol !== 'https:' && !LOOPBACK.has(url.hostname)) {
    problems.error('JWT_JWKS_URL', 'must use https: (http: only for loopback addresses)')
  }
  return undefined
}

/** What the key variables are checked against: the cross-login key, discovery, a CONFIG_FILE. */
export interface KeyContext {
  /** CONFIG_FILE with CROSS_LOGIN_JWT_PUBLIC_KEY: JWT_PUBLIC_KEY is the local tokens' key. */
  crossLogin: boolean
  /** JWT_DISCOVERY=true (accepted): the keys come from the issuer, no key variable may be set. */
  discovery: boolean
  fromConfig: boolean
}

/** Checks the key variables; returns the key's kind when one good key is configured. */
export async function checkKeyVariables(
  env: Env,
  cwd: string,
  problems: ProblemList,
  context: KeyContext,
): Promise<KeyKind | undefined> {
  const set = KEY_VARIABLES.filter((name) => read(env, name) !== undefined)
  const publicKey = read(env, 'JWT_PUBLIC_KEY')
  if (context.crossLogin) {
    const other = set.find((name) => name !== 'JWT_PUBLIC_KEY')
    if (other !== undefined) {
      problems.error(other, 'cannot be combined with CROSS_LOGIN_JWT_PUBLIC_KEY')
    }
    if (publicKey !== undefined) checkPublicKey(['JWT_PUBLIC_KEY', publicKey], problems)
    return { algorithms: ed25519Algorithms(), description: 'Ed25519' }
  }
  if (context.discovery) {
    for (const name of set) {
      problems.error(
        name,
        "cannot be combined with JWT_DISCOVERY=true (the keys come from the issuer's discovery)",
      )
    }
    return undefined
  }
  if (set.length === 0) {
    // Discovery is an alternative only without CONFIG_FILE (ClusterCockpit has none).
    const orDiscovery = context.fromConfig ? '' : ' (or JWT_DISCOVERY=true with JWT_ISSUER)'
    problems.error(
      'JWT_PUBLIC_KEY',
      `no key configured: set one of ${KEY_VARIABLES.join(', ')}${orDiscovery}`,
    )
    return undefined
  }
  if (set.length > 1) {
    problems.error(set.join(', '), 'set exactly one key variable')
    return undefined
  }
  if (publicKey !== undefined) return rawPublicKey('JWT_PUBLIC_KEY', publicKey, problems)
  if (set[0] === 'JWT_PUBLIC_KEY_FILE') {
    const fileText = await readFileVariable(env, 'JWT_PUBLIC_KEY_FILE', cwd, problems)
    return fileText === undefined ? undefined : checkKeyFile(fileText, problems)
  }
  if (set[0] === 'JWT_JWKS_URL') return jwksUrl(env, problems)
  return secretKey(env, problems)
}

/** JWT_ALGORITHMS: each supported, and each fitting the configured key. */
export function checkAlgorithms(env: Env, key: KeyKind | undefined, problems: ProblemList): void {
  const algorithms = list(env, 'JWT_ALGORITHMS', problems)
  if (algorithms === undefined) return
  const supported: readonly string[] = SUPPORTED_ALGORITHMS
  const unknown = algorithms.find((alg) => !supported.includes(alg))
  if (unknown !== undefined) {
    problems.error(
      'JWT_ALGORITHMS',
      `unsupported algorithm ${quoteArgument(unknown)} (allowed: ${supported.join(', ')})`,
    )
    return
  }
  if (key === undefined) return
  const misfit = algorithms.find((alg) => !key.algorithms.includes(alg))
  if (misfit !== undefined) {
    problems.error(
      'JWT_ALGORITHMS',
      `${misfit} does not fit the ${key.description} key (use ${key.algorithms.join(', ')})`,
    )
  }
}
