/**
 * Turns the key variables of the app's environment into a jwt-gate key source.
 *
 * @module
 */
import type { JSONWebKeySet } from 'jose'
import type { KeySource } from '../../src/index.js'
import { MIN_SECRET_BYTES } from '../../src/jws/algorithms.js'
import { decodeStdBase64, isPrivateJwk, isPrivateKeyPem } from '../../src/keys/import-key.js'
import { ConfigError, readHttpUrl, readString, type Env } from '../shared/env.js'

/** Reads files; tests pass a fake. */
export type ReadFile = (path: string) => string

/** The text of the file the variable `name` names, or undefined when it is unset. */
export function readFileVariable(env: Env, name: string, readFile: ReadFile): string | undefined {
  const path = readString(env, name)
  if (path === undefined) return undefined
  try {
    return readFile(path)
  } catch {
    throw new ConfigError(name, 'cannot be read')
  }
}

/** The four mutually exclusive key variables. */
export const KEY_VARIABLES = [
  'JWT_PUBLIC_KEY',
  'JWT_PUBLIC_KEY_FILE',
  'JWT_JWKS_URL',
  'JWT_SECRET',
] as const

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** Standard base64 of a raw 32-byte Ed25519 public key, as ClusterCockpit's `JWT_PUBLIC_KEY`. */
export function ed25519KeySource(variable: string, text: string): KeySource {
  if (decodeStdBase64(text)?.length !== 32) {
    throw new ConfigError(variable, 'must be standard base64 of a raw 32-byte Ed25519 public key')
  }
  return { ed25519: text }
}

function jwkSource(variable: string, jwk: Record<string, unknown>): KeySource {
  if (typeof jwk['kty'] !== 'string') throw new ConfigError(variable, 'JWK has no "kty"')
  // `k` is a symmetric key's secret: as unwelcome here as a private key.
  if (isPrivateJwk(jwk) || 'k' in jwk) {
    throw new ConfigError(variable, 'holds a private or secret key; give the public key only')
  }
  return { jwk }
}

/**
 * Detects the format of a key file: a PEM public key or certificate, a JWK, a JWKS, or the raw
 * base64 Ed25519 key ClusterCockpit keeps in `.env`.
 */
export function keySourceFromFileText(variable: string, text: string): KeySource {
  const trimmed = text.trim()
  if (trimmed.startsWith('-----BEGIN')) {
    if (/-----BEGIN (PUBLIC KEY|CERTIFICATE)-----/.test(trimmed)) return { pem: trimmed }
    if (isPrivateKeyPem(trimmed)) {
      throw new ConfigError(variable, 'holds a private key; give the public key or a certificate')
    }
    throw new ConfigError(variable, 'PEM must be a PUBLIC KEY or a CERTIFICATE')
  }
  if (trimmed.startsWith('{')) {
    let json: unknown
    try {
      json = JSON.parse(trimmed)
    } catch {
      throw new ConfigError(variable, 'is not valid JSON')
    }
    const object = json as Record<string, unknown>
    if (Array.isArray(object['keys'])) {
      const keys = object['keys'] as unknown[]
      if (keys.length === 0) throw new ConfigError(variable, 'JWKS has no keys')
      keys.forEach((key) => {
        if (typeof key !== 'object' || key === null)
          throw new ConfigError(variable, 'JWKS key is not an object')
        jwkSource(variable, key as Record<string, unknown>)
      })
      return { jwks: object as unknown as JSONWebKeySet }
    }
    return jwkSource(variable, object)
  }
  if (decodeStdBase64(trimmed)?.length === 32) {
    return { ed25519: trimmed }
  }
  throw new ConfigError(
    variable,
    'format not recognised (expected PEM, certificate, JWK, JWKS or raw Ed25519)',
  )
}

/**
 * `JWT_DISCOVERY=true`: the keys come from the issuer's discovery document, so no key variable
 * may be set beside it.
 */
export function discoveryKeySource(env: Env): KeySource {
  const set = keyVariablesSet(env)
  if (set.length > 0) {
    throw new ConfigError(
      set[0] ?? 'JWT_DISCOVERY',
      "cannot be combined with JWT_DISCOVERY=true (the keys come from the issuer's discovery)",
    )
  }
  return { discovery: true }
}

/** The names of the key variables that are set. */
export function keyVariablesSet(env: Env): string[] {
  return KEY_VARIABLES.filter((name) => readString(env, name) !== undefined)
}

/** Reads exactly one of {@link KEY_VARIABLES}. */
export function readKeySource(env: Env, readFile: ReadFile): KeySource {
  const set = keyVariablesSet(env)
  if (set.length === 0) {
    throw new ConfigError(
      'JWT_PUBLIC_KEY',
      `no key configured: set one of ${KEY_VARIABLES.join(', ')} (or JWT_DISCOVERY=true)`,
    )
  }
  if (set.length > 1) {
    throw new ConfigError(
      set[1] ?? 'JWT_PUBLIC_KEY',
      `set only one key variable, not ${set.join(' and ')}`,
    )
  }
  const publicKey = readString(env, 'JWT_PUBLIC_KEY')
  if (publicKey !== undefined) return ed25519KeySource('JWT_PUBLIC_KEY', publicKey)

  const file = readString(env, 'JWT_PUBLIC_KEY_FILE')
  if (file !== undefined) {
    let text: string
    try {
      text = readFile(file)
    } catch {
      throw new ConfigError('JWT_PUBLIC_KEY_FILE', 'cannot be read')
    }
    return keySourceFromFileText('JWT_PUBLIC_KEY_FILE', text)
  }

  const url = readHttpUrl(env, 'JWT_JWKS_URL')
  if (url !== undefined) {
    if (url.protocol !== 'https:' && !LOOPBACK.has(url.hostname)) {
      throw new ConfigError('JWT_JWKS_URL', 'must use https: (http: only for loopback addresses)')
    }
    return { jwksUrl: url.href }
  }

  // Not trimmed: the secret's bytes are exactly what the issuer signs with.
  const secret = env['JWT_SECRET'] ?? ''
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new ConfigError('JWT_SECRET', `must be at least ${MIN_SECRET_BYTES} bytes long`)
  }
  return { secret, encoding: 'utf8' }
}
