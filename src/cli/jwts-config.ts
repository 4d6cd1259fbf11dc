/**
 * Checks of a ClusterCockpit-style `config.json` `jwts` section and of the key variables that go
 * with it, following cc-backend's schema (`internal/auth/schema.go`) and its older setting names
 * (`cookieName`, `forceJWTValidationViaDatabase`, `trustedExternalIssuer`), which jwt-gate's
 * example app also honours.
 *
 * @module
 */
import { KEY_SETTINGS, checkKeys, type Kind, type Setting } from './cc-keys.js'
import { WHOLE_SECONDS_MESSAGE, parseGoDurationSeconds } from './duration.js'
import { isCookieNameAccepted } from './library.js'
import type { ProblemList } from './problems.js'

const SETTINGS: Setting[] = [
  { names: ['max-age'], kind: 'duration' },
  { names: ['cookie-name', 'cookieName'], kind: 'cookie-name' },
  { names: ['validate-user', 'validateUser', 'forceJWTValidationViaDatabase'], kind: 'boolean' },
  { names: ['trusted-issuer', 'trustedIssuer', 'trustedExternalIssuer'], kind: 'string' },
  { names: ['sync-user-on-login', 'syncUserOnLogin'], kind: 'boolean' },
  { names: ['update-user-on-login', 'updateUserOnLogin'], kind: 'boolean' },
  ...KEY_SETTINGS,
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

/** The `jwts` section of a parsed config file and its path, or undefined (reported). */
function jwtsSection(
  config: unknown,
  problems: ProblemList,
  prefix: string,
  topLevelOnly: boolean,
): [path: string, jwts: Record<string, unknown>] | undefined {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    problems.error(prefix || '(file)', 'the configuration must be a JSON object')
    return undefined
  }
  const record = config as Record<string, unknown>
  if (topLevelOnly && record.jwts === undefined && record.auth !== undefined) {
    problems.error(`${prefix}auth.jwts`, 'the example app reads only a top-level "jwts" section')
    return undefined
  }
  const located = locateSection(record, problems, prefix)
  if (located === undefined) return undefined
  const [path, section] = located
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    problems.error(path, 'must be an object')
    return undefined
  }
  return [path, section as Record<string, unknown>]
}

/** Reports every name that is no setting, with the setting it resembles. */
function reportUnknownSettings(path: string, jwts: Record<string, unknown>, problems: ProblemList) {
  const known = SETTINGS.flatMap((s) => s.names)
  for (const name of Object.keys(jwts)) {
    if (known.includes(name)) continue
    const guess = known.find((k) => normalise(k) === normalise(name))
    problems.error(
      `${path}.${name}`,
      `unknown setting${guess === undefined ? '' : `; did you mean "${guess}"?`}`,
    )
  }
}

/** Checks each setting given, under whichever of its names; returns the values by setting. */
function readSettings(
  path: string,
  jwts: Record<string, unknown>,
  problems: ProblemList,
): Map<Setting, unknown> {
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
  return values
}

/**
 * Checks a parsed config file. `env` holds the variables ClusterCockpit reads next to it; keys
 * set there override the file, as in cc-backend.
 *
 * @param prefix - Prepended to setting paths (e.g. `CONFIG_FILE:` when called for the example app).
 */
export async function checkJwtsConfig(
  config: unknown,
  env: Record<string, string | undefined>,
  problems: ProblemList,
  prefix = '',
  options: JwtsCheckOptions = {},
): Promise<void> {
  const found = jwtsSection(config, problems, prefix, options.topLevelOnly === true)
  if (found === undefined) return
  const [path, jwts] = found
  reportUnknownSettings(path, jwts, problems)
  const values = readSettings(path, jwts, problems)
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
    const crossLogin = values.has(cookieName!) || values.has(trustedIssuer!)
    await checkKeys(path, jwts, env, crossLogin, problems)
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
      if (typeof value !== 'string' || !isCookieNameAccepted(value)) {
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
