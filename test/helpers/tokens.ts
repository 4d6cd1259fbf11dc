/**
 * Token minting around a frozen clock. Every core test uses {@link NOW} as the verifier's clock,
 * so no test depends on the wall clock.
 */
import { SignJWT } from 'jose'
import type { KeyObject } from 'node:crypto'
import { createSecretKey } from 'node:crypto'
import { hmacSecret } from './keys.js'

export const NOW = new Date('2026-06-01T12:00:00Z')
export const NOW_S = Math.floor(NOW.getTime() / 1000)
export const clock = (): Date => NOW

export const ISSUER = 'https://auth.example.org'

export interface SignOptions {
  alg?: string
  kid?: string
  typ?: string
  header?: Record<string, unknown>
  /** Claims to add or override; `undefined` values delete the default claim. */
  claims?: Record<string, unknown>
}

/** Signs a token with sensible defaults: iss, sub, roles, iat = nbf = NOW, exp = NOW + 10 min. */
export async function sign(key: KeyObject | string, options: SignOptions = {}): Promise<string> {
  const signingKey = typeof key === 'string' ? createSecretKey(Buffer.from(key)) : key
  const alg = options.alg ?? (typeof key === 'string' ? 'HS256' : 'EdDSA')
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    sub: 'alice',
    roles: ['user'],
    iat: NOW_S,
    nbf: NOW_S,
    exp: NOW_S + 600,
    ...options.claims,
  }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  return new SignJWT(claims)
    .setProtectedHeader({
      alg,
      ...(options.kid === undefined ? {} : { kid: options.kid }),
      ...(options.typ === undefined ? {} : { typ: options.typ }),
      ...options.header,
    })
    .sign(signingKey)
}

/** An HS256 token with the default test secret. */
export const signHmac = (options: SignOptions = {}): Promise<string> => sign(hmacSecret, options)

/** Re-encodes a token with a replaced header or payload, keeping the old signature (a forgery). */
export function tamper(
  token: string,
  change: { header?: Record<string, unknown>; payload?: Record<string, unknown> },
): string {
  const [h, p, s] = token.split('.') as [string, string, string]
  const header = { ...JSON.parse(Buffer.from(h, 'base64url').toString()), ...change.header }
  const payload = { ...JSON.parse(Buffer.from(p, 'base64url').toString()), ...change.payload }
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${enc(header)}.${enc(payload)}.${s}`
}

/** A clock a test moves by hand (seconds), starting at `startMs` (epoch ms). */
export interface ManualClock {
  clock: () => Date
  /** The clock's time in seconds since the epoch. */
  now: () => number
  advance: (seconds: number) => void
}

/** A {@link ManualClock} starting at `startMs`. */
export function manualClock(startMs: number): ManualClock {
  let ms = startMs
  return {
    clock: () => new Date(ms),
    now: () => ms / 1000,
    advance: (seconds) => {
      ms += seconds * 1000
    },
  }
}
