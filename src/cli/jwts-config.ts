/**
 * Checks of a ClusterCockpit-style `config.json` `jwts` section and of the key variables that go
 * with it, following cc-backend's schema (`internal/auth/schema.go`) and its older setting names
 * (`cookieName`, `forceJWTValidationViaDatabase`, `trustedExternalIssuer`), which jwt-gate's
 * example app also honours.
 *
 * @module
 */
import { WHOLE_SECONDS_MESSAGE, parseGoDurationSeconds } from './duration.js'
import {
  base64Problem,
  decodeStdBase64,
  ed25519PrivateFromRaw,
  toRawPublic,
} from './key-formats.js'
import type { ProblemList } from './problems.js'
import { isCookieName } from '../request/cookie-name.js'
import { MIN_SECRET_BYTES } from '../jws/algorithms.js'
import { rawEd25519PublicProblem } from '../keys/import-key.js'

type Kind =
  'duration' | 'cookie-name' | 'string' | 'boolean' | 'public-key' | 'private-key' | 'hmac'

/** One setting: its current name first, then older spellings; the env var that overrides it. */
interface Setting {
  names: string[]
  kind: Kind
  env?: string
}

const SETTINGS: Setting[] = [
  { names: ['max-age'], kind: 'duration' },
  { names: ['cookie-name', 'cookieName'], kind: 'cookie-name' },
  { names: ['validate-user', 'validateUser', 'forceJWTValidationViaDatabase'], kind: 'boolean' },
  { names: ['trusted-issuer', 'trustedIssuer', 'trustedExternalIssuer'], kind: 'string' },
  { names: ['sync-user-on-login', 'syncUserOnLogin'], kind: 'boolean' },
  { names: ['update-user-on-login', 'updateUserOnLogin'], kind: 'boolean' },
  { names: ['public-key'], kind: 'public-key', env: 'JWT_PUBLIC_KEY' },
  { names: ['private-key'], kind: 'private-key', env: 'JWT_PRIVATE_KEY' },
  { names: ['cross-login-public-key'], kind: 'public-key', env: 'CROSS_LOGIN_JWT_PUBLIC_KEY' },
  { names: ['cross-login-hs512-key'], kind: 'hmac', env: 'CROSS_LOGIN_JWT_HS512_KEY' },
]

const normalise = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '')

/** Finds the `jwts` section: top level (older releases) or under `auth` (current ones). */
function locateSection(
  config: Record<string, unknown>,
  problems: ProblemList,
  prefix: string,
): [path: string, section: unknown] | undefined {
  const auth = config.auth
  const nested =
    typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>).jwts : undefined
  if (config.jwts !== undefined && nested !== undefined) {
    problems.error(`${prefix}jwts`, 'both "jwts" and "auth.jwts" are present; keep one')
  }
  if (config.jwts !== undefined) return [`${prefix}jwts`, config.jwts]
  if (nested !== undefined) return [`${prefix}auth.jwts`, nested]
  problems.error(
    `${prefix}jwts`,
    'no "jwts" section (top level or under "auth"); max-age is required',
  )
  return undefined
}

/** Variations of the check for the example app's `CONFIG_FILE`. */
export interface JwtsCheckOptions {
  /** Check the key settings and variables (ClusterCockpit needs both keys). @defaultValue true */
  keys?: boolean
  /** Accept only a top-level `jwts` section (the example app ignores `auth.jwts`). */
  topLevelOnly?: boolean
  /**
   * A missing `max-age` is an error (ClusterCockpit's schema requires it) or only a warning (the
   * example app then sets no maximum token age). @defaultValue true
   */
  requireMaxAge?: boolean
}

/**
 * Checks a parsed config file. `env` holds the variables ClusterCockpit reads next to it; keys
 * set there override the file, as in cc-backend.
 *
 * @param prefix - Prepended to setting paths (e.g. `CONFIG_FILE:` when called for the example app).
 */
export function checkJwtsConfig(
  config: unknown,
  env: Record<string, string | undefined>,
  problems: ProblemList,
  prefix = '',
  options: JwtsCheckOptions = {},
): void {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    problems.error(prefix || '(file)', 'the configuration must be a JSON object')
    return
  }
  const record = config as Record<string, unknown>
  if (options.topLevelOnly === true && record.jwts === undefined && record.auth !== undefined) {
    problems.error(`${prefix}auth.jwts`, 'the example app reads only a top-level "jwts" section')
    return
  }
  const located = locateSection(record, problems, prefix)
  if (located === undefined) return
  const [path, section] = located
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    problems.error(path, 'must be an object')
    return
  }
  const jwts = section as Record<string, unknown>
  const known = new Map(SETTINGS.flatMap((s) => s.names.map((n) => [n, s] as const)))
  for (const name of Object.keys(jwts)) {
    if (known.has(name)) continue
    const guess = [...known.keys()].find((k) => normalise(k) === normalise(name))
    problems.error(
      `${path}.${name}`,
      `unknown setting${guess === undefined ? '' : `; did you mean "${guess}"?`}`,
    )
  }

  const values = new Map<Setting, unknown>()
  for (const setting of SETTINGS) {
    const present = setting.names.filter((n) => jwts[n] !== undefined)
    if (present.length > 1) {
      problems.error(
        `${path}.${present.join(`, ${path}.`)}`,
        `the same setting under ${present.length} names; keep only "${setting.names[0]}"`,
      )
    }
    const [name] = present
    if (name !== undefined) {
      values.set(setting, jwts[name])
      checkValue(setting.kind, `${path}.${name}`, jwts[name], problems)
    }
  }
  const [maxAge, cookieName, validateUser, trustedIssuer, syncUsers, updateUsers] = SETTINGS
  if (!values.has(maxAge!)) {
    if (options.requireMaxAge === false) {
      problems.warning(
        `${path}.max-age`,
        'ClusterCockpit requires it; without it tokens have no maximum age',
      )
    } else {
      problems.error(`${path}.max-age`, 'required (e.g. "168h")')
    }
  }
  if (
    values.get(validateUser!) === true &&
    (values.get(syncUsers!) === true || values.get(updateUsers!) === true)
  ) {
    problems.warning(
      `${path}.sync-user-on-login`,
      'sync-user-on-login and update-user-on-login are ignored while validate-user is on',
    )
  }
  if (options.keys !== false) {
    checkKeys(path, jwts, env, values.has(cookieName!) || values.has(trustedIssuer!), problems)
  }
}

function checkValue(kind: Kind, setting: string, value: unknown, problems: ProblemList): void {
  switch (kind) {
    case 'duration': {
      const seconds = typeof value === 'string' ? parseGoDurationSeconds(value) : undefined
      if (typeof value !== 'string') {
        problems.error(setting, 'must be a string duration such as "168h" or "30m"')
      } else if (seconds === undefined) {
        problems.error(
          setting,
          'not a Go duration (units ns, us, ms, s, m, h; e.g. "168h", "1h30m")',
        )
      } else if (seconds === 'fraction') {
        problems.error(setting, WHOLE_SECONDS_MESSAGE)
      } else if (seconds <= 0) {
        problems.error(setting, 'must be positive')
      }
      return
    }
    case 'cookie-name':
      if (typeof value !== 'string' || !isCookieName(value)) {
        problems.error(setting, 'must be a non-empty cookie name (RFC 6265 token characters)')
      }
      return
    case 'string':
      if (typeof value !== 'string' || value.trim() === '') {
        problems.error(setting, 'must be a non-empty string')
      }
      return
    case 'boolean':
      if (typeof value !== 'boolean')
        problems.error(setting, 'must be true or false (a JSON boolean)')
      return
    default:
      if (typeof value !== 'string') problems.error(setting, 'must be a base64 string')
  }
}

/** The value ClusterCockpit will use: the env var when set, else the config setting. */
function effectiveKey(
  setting: Setting,
  path: string,
  jwts: Record<string, unknown>,
  env: Record<string, string | undefined>,
): [source: string, value: string] | undefined {
  const fromEnv = setting.env === undefined ? undefined : env[setting.env]
  if (fromEnv !== undefined && fromEnv !== '') return [setting.env ?? '', fromEnv]
  const name = setting.names[0] ?? ''
  const fromFile = jwts[name]
  return typeof fromFile === 'string' && fromFile !== '' ? [`${path}.${name}`, fromFile] : undefined
}

function checkKeys(
  path: string,
  jwts: Record<string, unknown>,
  env: Record<string, string | undefined>,
  crossLoginConfigured: boolean,
  problems: ProblemList,
): void {
  const byEnv = (name: string) => SETTINGS.find((s) => s.env === name)!
  const pub = effectiveKey(byEnv('JWT_PUBLIC_KEY'), path, jwts, env)
  const priv = effectiveKey(byEnv('JWT_PRIVATE_KEY'), path, jwts, env)
  const cross = effectiveKey(byEnv('CROSS_LOGIN_JWT_PUBLIC_KEY'), path, jwts, env)
  const hmac = effectiveKey(byEnv('CROSS_LOGIN_JWT_HS512_KEY'), path, jwts, env)

  const pubOk = pub !== undefined && checkPublicKey(pub, problems)
  if (cross !== undefined) checkPublicKey(cross, problems)
  if (priv !== undefined) checkPrivateKey(priv, pubOk ? pub?.[1] : undefined, pub?.[0], problems)
  if (hmac !== undefined) checkHmacKey(hmac, problems)

  if (pub === undefined || priv === undefined) {
    problems.warning(
      pub === undefined ? 'JWT_PUBLIC_KEY' : 'JWT_PRIVATE_KEY',
      "not set (nor in the jwts section): ClusterCockpit's token authentication will not work",
    )
  }
  if (crossLoginConfigured && cross === undefined) {
    problems.warning(
      'CROSS_LOGIN_JWT_PUBLIC_KEY',
      'not set: the cross-login cookie stays disabled (it needs JWT_PUBLIC_KEY, JWT_PRIVATE_KEY, ' +
        'CROSS_LOGIN_JWT_PUBLIC_KEY, cookie-name and trusted-issuer)',
    )
  }
  if (!crossLoginConfigured && cross !== undefined) {
    problems.warning(
      `${path}.trusted-issuer`,
      'CROSS_LOGIN_JWT_PUBLIC_KEY is set but cookie-name and trusted-issuer are not',
    )
  }
}

/** Reports a bad raw Ed25519 public key; returns whether it is good. */
export function checkPublicKey([source, value]: [string, string], problems: ProblemList): boolean {
  const bytes = decodeStdBase64(value)
  if (bytes === undefined) {
    problems.error(source, `${base64Problem(value)} (expected the raw 32-byte Ed25519 key)`)
    return false
  }
  const problem = rawEd25519PublicProblem(bytes)
  if (problem !== undefined) {
    const hint = problem === 'private key' ? ': 64 bytes is a private key' : ''
    problems.error(source, `decodes to ${bytes.length} bytes, an Ed25519 public key has 32${hint}`)
    return false
  }
  return true
}

function checkPrivateKey(
  [source, value]: [string, string],
  publicValue: string | undefined,
  publicSource: string | undefined,
  problems: ProblemList,
): void {
  const bytes = decodeStdBase64(value)
  if (bytes === undefined) {
    problems.error(source, `${base64Problem(value)} (expected Go's 64-byte Ed25519 private key)`)
    return
  }
  if (bytes.length !== 64) {
    problems.error(source, `decodes to ${bytes.length} bytes, Go's Ed25519 private key has 64`)
    return
  }
  let derived: string
  try {
    derived = toRawPublic(ed25519PrivateFromRaw(value))
  } catch {
    problems.error(source, 'its public half does not match its seed')
    return
  }
  if (publicValue !== undefined && derived !== publicValue) {
    problems.error(source, `is not the private key of ${publicSource ?? 'the public key'}`)
  }
}

function checkHmacKey([source, value]: [string, string], problems: ProblemList): void {
  const bytes = decodeStdBase64(value)
  if (bytes === undefined) {
    problems.error(source, `${base64Problem(value)} (ClusterCockpit decodes it as base64)`)
  } else if (bytes.length < MIN_SECRET_BYTES) {
    problems.error(
      source,
      `decodes to ${bytes.length} bytes; an HMAC key needs at least ${MIN_SECRET_BYTES}`,
    )
  } else if (bytes.length < 64) {
    problems.warning(
      source,
      `${bytes.length} bytes: enough for HS256, but HS512 wants 64 (RFC 7518 §3.2)`,
    )
  }
}
