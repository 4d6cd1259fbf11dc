/**
 * The AuthAPI's configuration, read from the environment and validated once at start.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { privateKeyFromRawBase64 } from '../shared/ed25519.js'
import {
  ConfigError,
  isCookieName,
  readHttpUrl,
  readInteger,
  readList,
  readPort,
  readString,
  type Env,
} from '../shared/env.js'

/** When the cookie gets the `Secure` attribute. */
export type CookieSecureMode = 'auto' | 'always' | 'never'

/** The token cookie the AuthAPI sets. */
export interface AuthCookieSettings {
  name: string
  /** `Domain` attribute, to share the cookie with apps on sibling hosts. */
  domain: string | undefined
  /** `auto`: `Secure` when the request came over HTTPS (see `trustProxy`). */
  secure: CookieSecureMode
}

/** The validated AuthAPI configuration. */
export interface AuthApiConfig {
  port: number
  host: string
  issuer: string
  audience: string | undefined
  ttlSeconds: number
  usersDb: string
  privateKey: KeyObject
  publicKey: KeyObject
  cookie: AuthCookieSettings
  /** Express's `trust proxy` setting: whether `X-Forwarded-Proto` is believed. */
  trustProxy: boolean | string
  /** Origins of the apps the login and logout pages may redirect back to. */
  appOrigins: string[]
  /** Where to go after login when no (safe) `redirect` was given. */
  defaultRedirect: string | undefined
}

/** Defaults of the AuthAPI, shared with the launcher. */
export const AUTH_API_DEFAULTS = {
  port: 4000,
  host: '127.0.0.1',
  issuer: 'jwt-gate-example-auth-api',
  ttlSeconds: 900,
  cookieName: 'access_cc',
} as const

/** Reads files; tests pass a fake. */
export type ReadFile = (path: string) => string

const readUtf8: ReadFile = (path) => readFileSync(path, 'utf8')

function readSigningKey(env: Env, readFile: ReadFile): KeyObject {
  const file = readString(env, 'AUTH_PRIVATE_KEY_FILE')
  const raw = readString(env, 'JWT_PRIVATE_KEY')
  if (file !== undefined && raw !== undefined) {
    throw new ConfigError('AUTH_PRIVATE_KEY_FILE', 'set either it or JWT_PRIVATE_KEY, not both')
  }
  if (raw !== undefined) {
    const key = privateKeyFromRawBase64(raw)
    if (key === undefined) {
      throw new ConfigError('JWT_PRIVATE_KEY', 'must be standard base64 of a raw Ed25519 key')
    }
    return key
  }
  if (file === undefined) {
    throw new ConfigError('AUTH_PRIVATE_KEY_FILE', 'required (or JWT_PRIVATE_KEY)')
  }
  let pem: string
  try {
    pem = readFile(file)
  } catch {
    throw new ConfigError('AUTH_PRIVATE_KEY_FILE', 'cannot be read')
  }
  let key: KeyObject
  try {
    key = createPrivateKey(pem)
  } catch {
    throw new ConfigError('AUTH_PRIVATE_KEY_FILE', 'is not a PEM private key')
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError('AUTH_PRIVATE_KEY_FILE', 'must hold an Ed25519 key')
  }
  return key
}

function readSecureMode(env: Env): CookieSecureMode {
  const value = readString(env, 'AUTH_COOKIE_SECURE')?.toLowerCase() ?? 'auto'
  if (value === 'auto') return 'auto'
  if (value === 'true' || value === 'always') return 'always'
  if (value === 'false' || value === 'never') return 'never'
  throw new ConfigError('AUTH_COOKIE_SECURE', 'must be auto, true or false')
}

function readTrustProxy(env: Env): boolean | string {
  const value = readString(env, 'AUTH_TRUST_PROXY')
  if (value === undefined || value.toLowerCase() === 'false') return false
  if (value.toLowerCase() === 'true') return true
  // Anything else is handed to Express as is: `loopback`, a subnet list, a hop count.
  return value
}

function readOrigins(env: Env): string[] {
  return (readList(env, 'AUTH_APP_ORIGINS') ?? []).map((item) => {
    let url: URL
    try {
      url = new URL(item)
    } catch {
      throw new ConfigError('AUTH_APP_ORIGINS', 'each item must be an origin like http://host:port')
    }
    if (
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.origin !== item.replace(/\/$/, '')
    ) {
      throw new ConfigError('AUTH_APP_ORIGINS', 'each item must be an origin like http://host:port')
    }
    return url.origin
  })
}

/** Parses the AuthAPI environment; throws {@link ConfigError} naming the variable at fault. */
export function parseAuthApiConfig(env: Env, readFile: ReadFile = readUtf8): AuthApiConfig {
  const cookieName = readString(env, 'AUTH_COOKIE_NAME') ?? AUTH_API_DEFAULTS.cookieName
  if (!isCookieName(cookieName))
    throw new ConfigError('AUTH_COOKIE_NAME', 'is not a valid cookie name')
  const usersDb = readString(env, 'AUTH_USERS_DB')
  if (usersDb === undefined) throw new ConfigError('AUTH_USERS_DB', 'required (a SQLite file)')
  const privateKey = readSigningKey(env, readFile)
  const appOrigins = readOrigins(env)
  const defaultRedirect = readHttpUrl(env, 'AUTH_DEFAULT_REDIRECT')?.href
  if (defaultRedirect !== undefined && !appOrigins.includes(new URL(defaultRedirect).origin)) {
    throw new ConfigError('AUTH_DEFAULT_REDIRECT', 'must be on one of AUTH_APP_ORIGINS')
  }
  return {
    port: readPort(env, 'PORT', AUTH_API_DEFAULTS.port),
    host: readString(env, 'HOST') ?? AUTH_API_DEFAULTS.host,
    issuer: readString(env, 'AUTH_ISSUER') ?? AUTH_API_DEFAULTS.issuer,
    audience: readString(env, 'AUTH_AUDIENCE'),
    ttlSeconds: readInteger(env, 'AUTH_TOKEN_TTL', AUTH_API_DEFAULTS.ttlSeconds, {
      min: 30,
      max: 86_400,
    }),
    usersDb,
    privateKey,
    publicKey: createPublicKey(privateKey),
    cookie: {
      name: cookieName,
      domain: readString(env, 'AUTH_COOKIE_DOMAIN'),
      secure: readSecureMode(env),
    },
    trustProxy: readTrustProxy(env),
    appOrigins,
    defaultRedirect,
  }
}
