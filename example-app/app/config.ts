/**
 * The protected app's configuration: environment variables (and optionally a ClusterCockpit
 * `config.json`) parsed and validated once at start into jwt-gate's `AuthenticateOptions`.
 * Every error is a {@link ConfigError} naming the variable, and stops the app.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import type { Algorithm, AuthenticateOptions, IssuerOptions, UserRecord } from '../../src/index.js'
import { SUPPORTED_ALGORITHMS } from '../../src/index.js'
import {
  ConfigError,
  isCookieName,
  readBoolean,
  readHttpUrl,
  readInteger,
  readList,
  readPort,
  readString,
  type Env,
} from '../shared/env.js'
import { parseClusterCockpitConfig, type ClusterCockpitJwts } from './clustercockpit.js'
import {
  discoveryKeySource,
  ed25519KeySource,
  keyVariablesSet,
  readFileVariable,
  readKeySource,
  type ReadFile,
} from './key-source.js'
import type { TlsFiles } from '../shared/serve.js'
import { readTls } from './tls.js'
import { databaseServesDpop, readDpop, type ReplayStoreConfig } from './dpop.js'
import { readIntrospection } from './introspection.js'
import { readBackchannelLogout, type BackchannelLogoutConfig } from './logout.js'
import { readRevocationBus, revocationBusKind, type RevocationBusConfig } from './revocation.js'

/** Where the app's user check looks users up. */
export type UserDatabase = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string }

/** The user check (ClusterCockpit's `forceJWTValidationViaDatabase`). */
export interface UserCheckConfig {
  database: UserDatabase
  /** Users loaded into the database at start (`USERS_FILE`). */
  seed: UserRecord[]
  createUnknown: boolean
  updateExisting: boolean
}

/** The validated app configuration. */
export interface AppConfig {
  port: number
  host: string
  /** The AuthAPI login page that unauthenticated browsers are sent to. */
  loginUrl: URL
  /** The AuthAPI logout endpoint the sign-out button posts to. */
  logoutUrl: URL
  /** The app's public base URL, for the redirect back after login; else taken from the request. */
  publicUrl: URL | undefined
  /** jwt-gate options, without the user store (opened later, see `users.ts`). */
  authenticate: AuthenticateOptions
  users: UserCheckConfig | undefined
  /** HTTPS (`TLS_CERT_FILE`, `TLS_KEY_FILE`), asking for client certificates with a client CA. */
  tls: TlsFiles | undefined
  /** Where DPoP proof `jti`s are remembered (`DPOP_REPLAY_STORE`), with `JWT_DPOP`. */
  replayStore: ReplayStoreConfig | undefined
  /** `JWT_BACKCHANNEL_LOGOUT` with `JWT_CLIENT_ID`. */
  backchannelLogout: BackchannelLogoutConfig | undefined
  /** How revocations reach every instance (`REVOCATION_BUS`); undefined: no revocation check. */
  revocationBus: RevocationBusConfig | undefined
}

/** Defaults of the app, shared with the launcher. */
export const APP_DEFAULTS = {
  port: 3000,
  host: '127.0.0.1',
  cookieName: 'access_cc',
  loginUrl: 'http://127.0.0.1:4000/login',
} as const

const ALGORITHMS = SUPPORTED_ALGORITHMS

const readUtf8: ReadFile = (path) => readFileSync(path, 'utf8')

const usersFileSchema = z.array(
  z.strictObject({
    username: z.string().min(1),
    roles: z.array(z.string()),
    disabled: z.boolean().optional(),
    name: z.string().optional(),
  }),
)

function readAlgorithms(env: Env): Algorithm[] | undefined {
  const list = readList(env, 'JWT_ALGORITHMS')
  if (list === undefined) return undefined
  const unknown = list.find((alg) => !(ALGORITHMS as readonly string[]).includes(alg))
  if (unknown !== undefined) {
    throw new ConfigError(
      'JWT_ALGORITHMS',
      `unsupported algorithm "${unknown}" (allowed: ${ALGORITHMS.join(', ')})`,
    )
  }
  return list as Algorithm[]
}

function readSeedUsers(env: Env, readFile: ReadFile): UserRecord[] {
  const text = readFileVariable(env, 'USERS_FILE', readFile)
  if (text === undefined) return []
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new ConfigError('USERS_FILE', 'is not valid JSON')
  }
  const parsed = usersFileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ConfigError(
      'USERS_FILE',
      `[${issue?.path.join('].') ?? ''}: ${issue?.message ?? 'invalid'}`,
    )
  }
  return parsed.data.map((user) => ({
    username: user.username,
    roles: user.roles,
    ...(user.disabled === undefined ? {} : { disabled: user.disabled }),
    ...(user.name === undefined ? {} : { name: user.name }),
  }))
}

function readUserCheck(
  env: Env,
  readFile: ReadFile,
  cc: ClusterCockpitJwts | undefined,
): UserCheckConfig | undefined {
  if (cc !== undefined && readString(env, 'JWT_VALIDATE_USERS') !== undefined) {
    throw new ConfigError(
      'JWT_VALIDATE_USERS',
      'conflicts with jwts.validate-user in CONFIG_FILE; set one',
    )
  }
  const enabled = cc?.validateUser ?? readBoolean(env, 'JWT_VALIDATE_USERS', false)
  const sqlite = readString(env, 'USERS_DB')
  const postgres = readString(env, 'DATABASE_URL')
  if (!enabled) {
    for (const name of ['USERS_DB', 'DATABASE_URL', 'USERS_FILE']) {
      if (name === 'DATABASE_URL' && databaseServesDpop(env)) continue
      if (name === 'DATABASE_URL' && revocationBusKind(env) === 'postgres') continue
      if (readString(env, name) !== undefined) {
        throw new ConfigError(
          name,
          'is set but the user check is off (set JWT_VALIDATE_USERS=true)',
        )
      }
    }
    return undefined
  }
  if (sqlite !== undefined && postgres !== undefined) {
    throw new ConfigError('DATABASE_URL', 'set either USERS_DB or DATABASE_URL, not both')
  }
  let database: UserDatabase
  if (sqlite !== undefined) database = { kind: 'sqlite', file: sqlite }
  else if (postgres !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(postgres)) {
      throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL')
    }
    database = { kind: 'postgres', url: postgres }
  } else {
    throw new ConfigError('USERS_DB', 'the user check needs USERS_DB (SQLite file) or DATABASE_URL')
  }
  return {
    database,
    seed: readSeedUsers(env, readFile),
    createUnknown: cc?.syncUserOnLogin ?? false,
    updateExisting: cc?.updateUserOnLogin ?? false,
  }
}

/**
 * `JWT_TOKEN_PROFILE=rfc9068`: the issuer's tokens are RFC 9068 JWT access tokens (`typ: at+jwt`,
 * `client_id`, `jti`...). ClusterCockpit's tokens are not, so not with `CONFIG_FILE`.
 */
function readTokenProfile(env: Env, cc: ClusterCockpitJwts | undefined): 'rfc9068' | undefined {
  const profile = readString(env, 'JWT_TOKEN_PROFILE')?.toLowerCase()
  if (profile === undefined) return undefined
  if (profile !== 'rfc9068') throw new ConfigError('JWT_TOKEN_PROFILE', 'must be rfc9068')
  if (cc !== undefined) {
    throw new ConfigError(
      'JWT_TOKEN_PROFILE',
      'cannot be combined with CONFIG_FILE (ClusterCockpit tokens are not RFC 9068 access tokens)',
    )
  }
  return profile
}

/** Options every issuer shares: algorithms, audience, clock tolerance, maximum age, profile. */
function commonIssuerOptions(
  env: Env,
  cc: ClusterCockpitJwts | undefined,
): Omit<IssuerOptions, 'issuer' | 'key'> {
  const algorithms = readAlgorithms(env)
  const audience = readList(env, 'JWT_AUDIENCE')
  const tolerance = readString(env, 'JWT_CLOCK_TOLERANCE')
  const profile = readTokenProfile(env, cc)
  return {
    ...(algorithms === undefined ? {} : { algorithms }),
    ...(profile === undefined ? {} : { profile }),
    ...(audience === undefined
      ? {}
      : { audience: audience.length === 1 ? (audience[0] ?? '') : audience }),
    ...(tolerance === undefined
      ? {}
      : { clockTolerance: readInteger(env, 'JWT_CLOCK_TOLERANCE', 0, { min: 0, max: 3600 }) }),
    ...(cc?.maxAgeSeconds === undefined ? {} : { maxTokenAge: cc.maxAgeSeconds }),
  }
}

/**
 * The issuers. From the environment alone: `JWT_ISSUER` with one key variable, or with
 * `JWT_DISCOVERY=true` (the keys found from the issuer URL). With a
 * ClusterCockpit `config.json`, as ClusterCockpit does: the trusted issuer's key is
 * `CROSS_LOGIN_JWT_PUBLIC_KEY` and `JWT_PUBLIC_KEY` verifies local tokens that carry no `iss`;
 * without `CROSS_LOGIN_JWT_PUBLIC_KEY`, the one key variable serves the trusted issuer (or the
 * iss-less local tokens when there is no trusted issuer).
 */
function readIssuers(
  env: Env,
  readFile: ReadFile,
  cc: ClusterCockpitJwts | undefined,
): IssuerOptions[] {
  const common = commonIssuerOptions(env, cc)
  const envIssuer = readString(env, 'JWT_ISSUER')
  const discovery = readBoolean(env, 'JWT_DISCOVERY', false)
  const introspection = readIntrospection(env, discovery, cc !== undefined)
  if (cc === undefined) {
    if (envIssuer === undefined)
      throw new ConfigError('JWT_ISSUER', 'required (the trusted issuer, the tokens\' "iss")')
    const key = discovery ? discoveryKeySource(env) : readKeySource(env, readFile)
    return [{ issuer: envIssuer, key, ...common, ...(introspection ? { introspection } : {}) }]
  }
  if (discovery) throw new ConfigError('JWT_DISCOVERY', 'works with JWT_ISSUER, not CONFIG_FILE')
  if (envIssuer !== undefined) {
    throw new ConfigError(
      'JWT_ISSUER',
      'conflicts with CONFIG_FILE; set jwts.trusted-issuer there instead',
    )
  }
  const crossLogin = readString(env, 'CROSS_LOGIN_JWT_PUBLIC_KEY')
  if (crossLogin === undefined) {
    return [{ issuer: cc.trustedIssuer ?? null, key: readKeySource(env, readFile), ...common }]
  }
  if (cc.trustedIssuer === undefined) {
    throw new ConfigError('CROSS_LOGIN_JWT_PUBLIC_KEY', 'needs jwts.trusted-issuer in CONFIG_FILE')
  }
  const other = keyVariablesSet(env).find((name) => name !== 'JWT_PUBLIC_KEY')
  if (other !== undefined) {
    throw new ConfigError(other, 'cannot be combined with CROSS_LOGIN_JWT_PUBLIC_KEY')
  }
  const issuers: IssuerOptions[] = [
    {
      issuer: cc.trustedIssuer,
      key: ed25519KeySource('CROSS_LOGIN_JWT_PUBLIC_KEY', crossLogin),
      ...common,
    },
  ]
  const local = readString(env, 'JWT_PUBLIC_KEY')
  if (local !== undefined)
    issuers.push({ issuer: null, key: ed25519KeySource('JWT_PUBLIC_KEY', local), ...common })
  return issuers
}

function readCookieName(env: Env, cc: ClusterCockpitJwts | undefined): string {
  const fromEnv = readString(env, 'JWT_COOKIE_NAME')
  if (cc?.cookieName !== undefined && fromEnv !== undefined) {
    throw new ConfigError(
      'JWT_COOKIE_NAME',
      'conflicts with jwts.cookie-name in CONFIG_FILE; set one',
    )
  }
  const name = cc?.cookieName ?? fromEnv ?? APP_DEFAULTS.cookieName
  if (!isCookieName(name)) {
    throw new ConfigError(
      fromEnv === undefined ? 'CONFIG_FILE' : 'JWT_COOKIE_NAME',
      'is not a valid cookie name',
    )
  }
  return name
}

/** Hosts on which JWT_RESOURCE may be a plain http: URL (a local MCP server). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * JWT_RESOURCE: the API's resource identifier (RFC 9728, RFC 8707). jwt-gate serves its metadata,
 * names it in challenges and requires it in the tokens' `aud` unless JWT_AUDIENCE is set. The
 * library refuses a bad one at start-up too; said here first, with the variable's name.
 */
function readResource(env: Env): string | undefined {
  const resource = readString(env, 'JWT_RESOURCE')
  if (resource === undefined) return undefined
  const url = URL.canParse(resource) ? new URL(resource) : undefined
  const secure =
    url?.protocol === 'https:' || (url?.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))
  if (url === undefined || !secure || resource.includes('#') || resource.includes('?')) {
    throw new ConfigError(
      'JWT_RESOURCE',
      'must be an https URL (http on loopback only) without fragment or query',
    )
  }
  return resource
}

/** Parses the app's environment; throws {@link ConfigError} naming the variable at fault. */
export function parseAppConfig(env: Env, readFile: ReadFile = readUtf8): AppConfig {
  const configText = readFileVariable(env, 'CONFIG_FILE', readFile)
  const cc = configText === undefined ? undefined : parseClusterCockpitConfig(configText)
  const loginUrl = readHttpUrl(env, 'AUTH_LOGIN_URL') ?? new URL(APP_DEFAULTS.loginUrl)
  const issuers = readIssuers(env, readFile, cc)
  const resource = readResource(env)
  const tls = readTls(env, readFile)
  const dpop = readDpop(env)
  return {
    port: readPort(env, 'PORT', APP_DEFAULTS.port),
    host: readString(env, 'HOST') ?? APP_DEFAULTS.host,
    loginUrl,
    logoutUrl: readHttpUrl(env, 'AUTH_LOGOUT_URL') ?? new URL('/logout', loginUrl),
    publicUrl: readHttpUrl(env, 'APP_PUBLIC_URL'),
    authenticate: {
      issuers,
      sources: ['header', 'cookie'],
      cookie: { name: readCookieName(env, cc) },
      ...(resource === undefined ? {} : { resource }),
      // Bound tokens are checked anyway; this advertises them in the metadata (JWT_RESOURCE).
      ...(tls?.clientCa === undefined ? {} : { mtls: {} }),
      ...(dpop === undefined ? {} : { dpop: dpop.options }),
    },
    users: readUserCheck(env, readFile, cc),
    tls,
    replayStore: dpop?.store,
    backchannelLogout: readBackchannelLogout(env),
    revocationBus: readRevocationBus(env),
  }
}
