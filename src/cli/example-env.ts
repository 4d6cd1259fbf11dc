/**
 * Checks of the example app's environment (`check-config --env`), mirroring the rules the app
 * applies at start (`example-app/app/config.ts`) but reporting every problem at once instead of
 * stopping at the first. Values are never echoed: secrets and keys live in these variables.
 *
 * It ships in the package (not beside the example app, which is not published) so that
 * `check-config --env` works from an install; test/cli/check-env-agrees.test.ts keeps it in step
 * with the app. The key variables are checked in example-env-keys.ts.
 *
 * @module
 */
import { checkPublicKey } from './cc-keys.js'
import {
  boolean,
  httpUrl,
  integer,
  list,
  read,
  readFileVariable,
  safeJson,
  type Env,
} from './env-values.js'
import { checkDpop, databaseServesDpop } from './example-env-dpop.js'
import { INTROSPECTION_VARIABLES, checkIntrospection } from './example-env-introspection.js'
import { LOGOUT_VARIABLES, checkBackchannelLogout } from './example-env-logout.js'
import { checkRevocationBus, revocationBusKind } from './example-env-revocation.js'
import { checkDiscovery, checkProfileAudience } from './example-env-issuer.js'
import { KEY_VARIABLES, checkAlgorithms, checkKeyVariables } from './example-env-keys.js'
import { checkTls } from './example-env-tls.js'
import { checkJwtsConfig } from './jwts-config.js'
import { isCookieNameAccepted } from './library.js'
import type { ProblemList } from './problems.js'

/** Every `JWT_*` variable the example app (or its AuthAPI, or ClusterCockpit) reads. */
const KNOWN_JWT_VARIABLES = new Set([
  ...KEY_VARIABLES,
  ...INTROSPECTION_VARIABLES,
  ...LOGOUT_VARIABLES,
  'JWT_ISSUER',
  'JWT_DISCOVERY',
  'JWT_DPOP',
  'JWT_AUDIENCE',
  'JWT_RESOURCE',
  'JWT_ALGORITHMS',
  'JWT_COOKIE_NAME',
  'JWT_CLOCK_TOLERANCE',
  'JWT_TOKEN_PROFILE',
  'JWT_VALIDATE_USERS',
  'JWT_PRIVATE_KEY',
])

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
      if (name === 'DATABASE_URL' && databaseServesDpop(env)) continue
      if (name === 'DATABASE_URL' && revocationBusKind(env) === 'postgres') continue
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
  // With the DPoP replay store on the same database, its check reports a bad URL.
  if (postgres !== undefined && !databaseServesDpop(env) && !/^postgres(ql)?:\/\//.test(postgres)) {
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

/** CONFIG_FILE, checked as the example app reads it; its facts, when it is a JSON file. */
async function checkConfigFile(
  env: Env,
  cwd: string,
  problems: ProblemList,
): Promise<ConfigFacts | undefined> {
  const configText = await readFileVariable(env, 'CONFIG_FILE', cwd, problems)
  if (configText === undefined) return undefined
  const config = safeJson(configText)
  if (config === undefined) {
    problems.error('CONFIG_FILE', 'is not valid JSON')
    return undefined
  }
  // The example app reads only the public keys from the environment, so ClusterCockpit's
  // signing-key warnings do not apply here.
  await checkJwtsConfig(config, {}, problems, 'CONFIG_FILE: ', {
    keys: false,
    topLevelOnly: true,
    requireMaxAge: false,
  })
  return configFacts(config)
}

/**
 * JWT_ISSUER (or CONFIG_FILE's trusted issuer) and the cross-login key, which only counts with a
 * CONFIG_FILE. Returns whether the cross-login key is in use.
 */
function checkIssuer(env: Env, facts: ConfigFacts | undefined, problems: ProblemList): boolean {
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
  const crossKey = read(env, 'CROSS_LOGIN_JWT_PUBLIC_KEY')
  if (crossKey !== undefined && !fromConfig) {
    problems.warning('CROSS_LOGIN_JWT_PUBLIC_KEY', 'ignored without CONFIG_FILE')
  }
  if (crossKey === undefined || !fromConfig) return false
  checkPublicKey(['CROSS_LOGIN_JWT_PUBLIC_KEY', crossKey], problems)
  if (facts !== undefined && !facts.trustedIssuer) {
    problems.error('CROSS_LOGIN_JWT_PUBLIC_KEY', 'needs jwts.trusted-issuer in CONFIG_FILE')
  }
  return true
}

/** JWT_COOKIE_NAME: a cookie name the library takes, and not also set in CONFIG_FILE. */
function checkCookieName(env: Env, facts: ConfigFacts | undefined, problems: ProblemList): void {
  const cookie = read(env, 'JWT_COOKIE_NAME')
  if (cookie !== undefined && facts?.cookieName === true) {
    problems.error('JWT_COOKIE_NAME', 'conflicts with jwts.cookie-name in CONFIG_FILE; set one')
  } else if (cookie !== undefined && !isCookieNameAccepted(cookie)) {
    problems.error('JWT_COOKIE_NAME', 'is not a valid cookie name (RFC 6265 token characters)')
  }
}

/** `JWT_TOKEN_PROFILE`: `rfc9068` (any case), and not with ClusterCockpit's `CONFIG_FILE`. */
function checkTokenProfile(env: Env, fromConfig: boolean, problems: ProblemList): void {
  const profile = read(env, 'JWT_TOKEN_PROFILE')
  if (profile === undefined) return
  if (profile.toLowerCase() !== 'rfc9068') problems.error('JWT_TOKEN_PROFILE', 'must be rfc9068')
  else if (fromConfig) {
    problems.error('JWT_TOKEN_PROFILE', 'cannot be combined with CONFIG_FILE')
  }
}

/** Checks the example app's environment; every problem names its variable. */
export async function checkExampleEnv(env: Env, cwd: string, problems: ProblemList): Promise<void> {
  integer(env, 'PORT', 0, 65535, problems)
  for (const name of ['AUTH_LOGIN_URL', 'AUTH_LOGOUT_URL', 'APP_PUBLIC_URL']) {
    httpUrl(env, name, problems)
  }
  const facts = await checkConfigFile(env, cwd, problems)
  const fromConfig = read(env, 'CONFIG_FILE') !== undefined
  const crossLogin = checkIssuer(env, facts, problems)
  const discovery = checkDiscovery(env, fromConfig, problems)
  const key = await checkKeyVariables(env, cwd, problems, { crossLogin, discovery, fromConfig })
  checkAlgorithms(env, key, problems)
  list(env, 'JWT_AUDIENCE', problems)
  integer(env, 'JWT_CLOCK_TOLERANCE', 0, 3600, problems)
  checkTokenProfile(env, fromConfig, problems)
  if (!fromConfig) checkProfileAudience(env, problems)
  checkCookieName(env, facts, problems)
  await checkUsers(env, cwd, fromConfig ? (facts?.validateUser ?? false) : undefined, problems)
  await checkTls(env, cwd, problems)
  checkDpop(env, problems)
  checkIntrospection(env, { discovery, fromConfig }, problems)
  checkBackchannelLogout(env, problems)
  checkRevocationBus(env, problems)

  for (const name of Object.keys(env)) {
    if (name.startsWith('JWT_') && !KNOWN_JWT_VARIABLES.has(name)) {
      problems.warning(name, 'not a variable the example app reads (a typo?)')
    }
  }
}
