/**
 * Checks of the example app's environment (`check-config --env`), mirroring the rules the app
 * applies at start (`example-app/app/config.ts`) but reporting every problem at once instead of
 * stopping at the first. Values are never echoed: secrets and keys live in these variables.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { HMAC_ALGORITHMS, SUPPORTED_ALGORITHMS } from '../index.js'
import { checkJwtsConfig, checkPublicKey } from './jwts-config.js'
import { isCookieName } from '../request/cookie-name.js'
import { MIN_SECRET_BYTES } from '../jws/algorithms.js'
import {
  detectKeyFormat,
  describeKey,
  algorithmsFor,
  isPrivateKeyText,
  parsePublicKey,
} from './key-formats.js'
import type { KeyObject } from 'node:crypto'
import { quoteArgument } from './args.js'
import { CommandError } from './io.js'
import type { ProblemList } from './problems.js'

type Env = Record<string, string | undefined>

/** The four mutually exclusive key variables of the example app. */
const KEY_VARIABLES = ['JWT_PUBLIC_KEY', 'JWT_PUBLIC_KEY_FILE', 'JWT_JWKS_URL', 'JWT_SECRET']

/** Every `JWT_*` variable the example app (or its AuthAPI, or ClusterCockpit) reads. */
const KNOWN_JWT_VARIABLES = new Set([
  ...KEY_VARIABLES,
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'JWT_ALGORITHMS',
  'JWT_COOKIE_NAME',
  'JWT_CLOCK_TOLERANCE',
  'JWT_VALIDATE_USERS',
  'JWT_PRIVATE_KEY',
])

const ALGORITHMS: readonly string[] = SUPPORTED_ALGORITHMS
const HMAC: readonly string[] = HMAC_ALGORITHMS
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** The trimmed value, `undefined` when unset or blank (as the app reads it). */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function list(env: Env, name: string, problems: ProblemList): string[] | undefined {
  const text = read(env, name)
  if (text === undefined) return undefined
  const items = text.split(',').map((item) => item.trim())
  if (items.some((item) => item === '')) problems.error(name, 'has an empty list item')
  return items.filter((item) => item !== '')
}

function httpUrl(env: Env, name: string, problems: ProblemList): URL | undefined {
  const text = read(env, name)
  if (text === undefined) return undefined
  let url: URL
  try {
    url = new URL(text)
  } catch {
    problems.error(name, 'must be an absolute URL')
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.error(name, 'must be an http: or https: URL')
    return undefined
  }
  return url
}

function integer(env: Env, name: string, min: number, max: number, problems: ProblemList): void {
  const text = read(env, name)
  if (text === undefined) return
  if (!/^\d+$/.test(text)) problems.error(name, 'must be a whole number')
  else if (Number(text) < min || Number(text) > max) {
    problems.error(name, `must be between ${min} and ${max}`)
  }
}

function boolean(env: Env, name: string, problems: ProblemList): boolean | undefined {
  const text = read(env, name)?.toLowerCase()
  if (text === undefined) return undefined
  if (['true', '1', 'yes'].includes(text)) return true
  if (['false', '0', 'no'].includes(text)) return false
  problems.error(name, 'must be true or false')
  return undefined
}

async function readFileVariable(
  env: Env,
  name: string,
  cwd: string,
  problems: ProblemList,
): Promise<string | undefined> {
  const path = read(env, name)
  if (path === undefined) return undefined
  try {
    return await readFile(resolve(cwd, path), 'utf8')
  } catch {
    problems.error(name, 'cannot be read')
    return undefined
  }
}

/** What kind of key a key variable holds, for the algorithm check. */
type KeyKind = { kind: 'asymmetric'; algorithms: string[]; description: string } | { kind: 'hmac' }

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
  return { kind: 'asymmetric', algorithms: algorithmsFor(key), description: describeKey(key) }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Checks the key variables; returns the key's kind when one good key is configured. */
async function checkKeyVariables(
  env: Env,
  cwd: string,
  problems: ProblemList,
  crossLogin: boolean,
): Promise<KeyKind | undefined> {
  const set = KEY_VARIABLES.filter((name) => read(env, name) !== undefined)
  if (crossLogin) {
    const other = set.find((name) => name !== 'JWT_PUBLIC_KEY')
    if (other !== undefined)
      problems.error(other, 'cannot be combined with CROSS_LOGIN_JWT_PUBLIC_KEY')
    const local = read(env, 'JWT_PUBLIC_KEY')
    if (local !== undefined) checkPublicKey(['JWT_PUBLIC_KEY', local], problems)
    return { kind: 'asymmetric', algorithms: ['EdDSA', 'Ed25519'], description: 'Ed25519' }
  }
  if (set.length === 0) {
    problems.error('JWT_PUBLIC_KEY', `no key configured: set one of ${KEY_VARIABLES.join(', ')}`)
    return undefined
  }
  if (set.length > 1) {
    problems.error(set.join(', '), 'set exactly one key variable')
    return undefined
  }
  const publicKey = read(env, 'JWT_PUBLIC_KEY')
  if (publicKey !== undefined) {
    return checkPublicKey(['JWT_PUBLIC_KEY', publicKey], problems)
      ? { kind: 'asymmetric', algorithms: ['EdDSA', 'Ed25519'], description: 'Ed25519' }
      : undefined
  }
  const fileText = await readFileVariable(env, 'JWT_PUBLIC_KEY_FILE', cwd, problems)
  if (fileText !== undefined) return checkKeyFile(fileText, problems)
  if (read(env, 'JWT_PUBLIC_KEY_FILE') !== undefined) return undefined

  const url = httpUrl(env, 'JWT_JWKS_URL', problems)
  if (url !== undefined) {
    if (url.protocol !== 'https:' && !LOOPBACK.has(url.hostname)) {
      problems.error('JWT_JWKS_URL', 'must use https: (http: only for loopback addresses)')
    }
    return undefined
  }
  if (read(env, 'JWT_JWKS_URL') !== undefined) return undefined

  // The secret's bytes are what the issuer signs with: not trimmed, and never echoed.
  if (Buffer.byteLength(env.JWT_SECRET ?? '', 'utf8') < MIN_SECRET_BYTES) {
    problems.error('JWT_SECRET', `must be at least ${MIN_SECRET_BYTES} bytes long`)
    return undefined
  }
  return { kind: 'hmac' }
}

function checkAlgorithms(env: Env, key: KeyKind | undefined, problems: ProblemList): void {
  const algorithms = list(env, 'JWT_ALGORITHMS', problems)
  if (algorithms === undefined) return
  const unknown = algorithms.find((alg) => !ALGORITHMS.includes(alg))
  if (unknown !== undefined) {
    problems.error(
      'JWT_ALGORITHMS',
      `unsupported algorithm ${quoteArgument(unknown)} (allowed: ${ALGORITHMS.join(', ')})`,
    )
    return
  }
  if (key === undefined) return
  const fits = key.kind === 'hmac' ? HMAC : key.algorithms
  const misfit = algorithms.find((alg) => !fits.includes(alg))
  if (misfit !== undefined) {
    problems.error(
      'JWT_ALGORITHMS',
      `${misfit} does not fit the ${key.kind === 'hmac' ? 'HMAC secret' : key.description} key (use ${fits.join(', ')})`,
    )
  }
}

/**
 * @param configValidateUser - CONFIG_FILE's validate-user, `undefined` without a CONFIG_FILE.
 */
async function checkUsers(
  env: Env,
  cwd: string,
  configValidateUser: boolean | undefined,
  problems: ProblemList,
) {
  const flag = read(env, 'JWT_VALIDATE_USERS')
  if (configValidateUser !== undefined && flag !== undefined) {
    problems.error(
      'JWT_VALIDATE_USERS',
      'conflicts with jwts.validate-user in CONFIG_FILE; set one',
    )
  }
  const enabled = configValidateUser ?? boolean(env, 'JWT_VALIDATE_USERS', problems) ?? false
  if (!enabled) {
    const switchName =
      configValidateUser === undefined ? 'JWT_VALIDATE_USERS=true' : 'jwts.validate-user'
    for (const name of ['USERS_DB', 'DATABASE_URL', 'USERS_FILE']) {
      if (read(env, name) !== undefined) {
        problems.error(name, `is set but the user check is off (set ${switchName})`)
      }
    }
    return
  }
  const sqlite = read(env, 'USERS_DB')
  const postgres = read(env, 'DATABASE_URL')
  if (sqlite !== undefined && postgres !== undefined) {
    problems.error('DATABASE_URL', 'set either USERS_DB or DATABASE_URL, not both')
  } else if (sqlite === undefined && postgres === undefined) {
    problems.error('USERS_DB', 'the user check needs USERS_DB (SQLite file) or DATABASE_URL')
  }
  if (postgres !== undefined && !/^postgres(ql)?:\/\//.test(postgres)) {
    problems.error('DATABASE_URL', 'must be a postgres:// or postgresql:// URL')
  }
  const usersText = await readFileVariable(env, 'USERS_FILE', cwd, problems)
  if (usersText !== undefined) checkUsersFile(usersText, problems)
}

function checkUsersFile(text: string, problems: ProblemList): void {
  const users = safeJson(text)
  if (!Array.isArray(users)) {
    problems.error('USERS_FILE', 'must be a JSON array of { username, roles, disabled? }')
    return
  }
  users.forEach((user: unknown, i) => {
    const u = (typeof user === 'object' && user !== null ? user : {}) as Record<string, unknown>
    const extra = Object.keys(u).filter(
      (k) => !['username', 'roles', 'disabled', 'name'].includes(k),
    )
    if (typeof u.username !== 'string' || u.username === '') {
      problems.error(`USERS_FILE[${i}].username`, 'must be a non-empty string')
    }
    if (!Array.isArray(u.roles) || !u.roles.every((r) => typeof r === 'string')) {
      problems.error(`USERS_FILE[${i}].roles`, 'must be an array of strings')
    }
    if (u.disabled !== undefined && typeof u.disabled !== 'boolean') {
      problems.error(`USERS_FILE[${i}].disabled`, 'must be true or false')
    }
    for (const key of extra) problems.error(`USERS_FILE[${i}].${key}`, 'unknown field')
  })
}

/** The `jwts` settings the example app takes from CONFIG_FILE, as far as the env check needs. */
interface ConfigFacts {
  trustedIssuer: boolean
  cookieName: boolean
  validateUser: boolean
}

function configFacts(config: unknown): ConfigFacts {
  const jwts = ((config as { jwts?: unknown } | undefined)?.jwts ?? {}) as Record<string, unknown>
  const has = (...names: string[]) => names.some((n) => typeof jwts[n] === 'string')
  return {
    trustedIssuer: has('trusted-issuer', 'trustedIssuer', 'trustedExternalIssuer'),
    cookieName: has('cookie-name', 'cookieName'),
    validateUser: ['validate-user', 'validateUser', 'forceJWTValidationViaDatabase'].some(
      (n) => jwts[n] === true,
    ),
  }
}

/** Checks the example app's environment; every problem names its variable. */
export async function checkExampleEnv(env: Env, cwd: string, problems: ProblemList): Promise<void> {
  integer(env, 'PORT', 0, 65535, problems)
  for (const name of ['AUTH_LOGIN_URL', 'AUTH_LOGOUT_URL', 'APP_PUBLIC_URL'])
    httpUrl(env, name, problems)

  const configText = await readFileVariable(env, 'CONFIG_FILE', cwd, problems)
  let facts: ConfigFacts | undefined
  if (configText !== undefined) {
    const config = safeJson(configText)
    if (config === undefined) problems.error('CONFIG_FILE', 'is not valid JSON')
    else {
      // The example app reads only the public keys from the environment, so ClusterCockpit's
      // signing-key warnings do not apply here.
      checkJwtsConfig(config, {}, problems, 'CONFIG_FILE: ', {
        keys: false,
        topLevelOnly: true,
        requireMaxAge: false,
      })
      facts = configFacts(config)
    }
  }
  const fromConfig = read(env, 'CONFIG_FILE') !== undefined

  const issuer = read(env, 'JWT_ISSUER')
  if (!fromConfig && issuer === undefined) {
    problems.error('JWT_ISSUER', 'required (the trusted issuer, the tokens\' "iss")')
  }
  if (fromConfig && issuer !== undefined) {
    problems.error(
      'JWT_ISSUER',
      'conflicts with CONFIG_FILE; set jwts.trusted-issuer there instead',
    )
  }
  const crossLogin = fromConfig && read(env, 'CROSS_LOGIN_JWT_PUBLIC_KEY') !== undefined
  if (crossLogin) {
    checkPublicKey(
      ['CROSS_LOGIN_JWT_PUBLIC_KEY', read(env, 'CROSS_LOGIN_JWT_PUBLIC_KEY') ?? ''],
      problems,
    )
    if (facts !== undefined && !facts.trustedIssuer) {
      problems.error('CROSS_LOGIN_JWT_PUBLIC_KEY', 'needs jwts.trusted-issuer in CONFIG_FILE')
    }
  } else if (read(env, 'CROSS_LOGIN_JWT_PUBLIC_KEY') !== undefined) {
    problems.warning('CROSS_LOGIN_JWT_PUBLIC_KEY', 'ignored without CONFIG_FILE')
  }
  const key = await checkKeyVariables(env, cwd, problems, crossLogin)
  checkAlgorithms(env, key, problems)
  list(env, 'JWT_AUDIENCE', problems)
  integer(env, 'JWT_CLOCK_TOLERANCE', 0, 3600, problems)

  const cookie = read(env, 'JWT_COOKIE_NAME')
  if (cookie !== undefined && facts?.cookieName === true) {
    problems.error('JWT_COOKIE_NAME', 'conflicts with jwts.cookie-name in CONFIG_FILE; set one')
  } else if (cookie !== undefined && !isCookieName(cookie)) {
    problems.error('JWT_COOKIE_NAME', 'is not a valid cookie name (RFC 6265 token characters)')
  }
  await checkUsers(env, cwd, fromConfig ? (facts?.validateUser ?? false) : undefined, problems)

  for (const name of Object.keys(env)) {
    if (name.startsWith('JWT_') && !KNOWN_JWT_VARIABLES.has(name)) {
      problems.warning(name, 'not a variable the example app reads (a typo?)')
    }
  }
}
