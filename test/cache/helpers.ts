/**
 * Shared fixtures of the verified-token cache tests: an Ed25519 issuer, a token factory, a movable
 * clock, and a claims schema that counts how often a token is fully verified (the schema runs only
 * on a cache miss, so the count tells a hit from a miss without peeking inside the cache).
 */
import type { KeyObject } from 'node:crypto'
import { z } from 'zod'
import { keyPair, rawEd25519Base64 } from '../helpers/keys.js'
import { ISSUER, sign } from '../helpers/tokens.js'

/** The trusted issuer of these tests: the tests' one issuer. */
export { ISSUER }

/** 2030-01-01T00:00:00Z, in seconds. */
export const T0 = 1_893_456_000

/** A signing key pair and the standard base64 of the raw public key (the `ed25519` key source). */
export interface Ed25519Pair {
  privateKey: KeyObject
  publicKey: KeyObject
  raw: string
}

/** A fresh Ed25519 key pair. */
export function ed25519Pair(): Ed25519Pair {
  const pair = keyPair('ed25519')
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, raw: rawEd25519Base64(pair) }
}

/**
 * Signs an EdDSA token of {@link ISSUER} for `alice`, issued at {@link T0}, with the tests' one
 * signer; `exp` defaults to an hour after {@link T0}, and there is no `nbf` or `roles`.
 */
export async function signToken(
  privateKey: KeyObject,
  claims: Record<string, unknown> = {},
  header: { kid?: string } = {},
): Promise<string> {
  return sign(privateKey, {
    alg: 'EdDSA',
    typ: 'JWT',
    header,
    claims: { iat: T0, nbf: undefined, exp: T0 + 3600, roles: undefined, ...claims },
  })
}

/** A clock the test moves by hand. */
export interface MovableClock {
  (): Date
  /** Sets the time, in seconds since the epoch. */
  set(seconds: number): void
}

/** A clock standing at `seconds` until moved. */
export function movableClock(seconds: number = T0): MovableClock {
  let now = seconds * 1000
  const clock = (() => new Date(now)) as MovableClock
  clock.set = (next) => {
    now = next * 1000
  }
  return clock
}

/** The default claims shape, plus a counter of full verifications. */
export function countingClaims(): { schema: z.ZodType; readonly verifications: number } {
  let verifications = 0
  const schema = z.looseObject({ sub: z.string().min(1) }).refine(() => {
    verifications++
    return true
  })
  return {
    schema,
    get verifications() {
      return verifications
    },
  }
}

/** The request shape `createAuthenticator().authenticate()` takes, for a bearer token. */
export function bearer(token: string): { headers: Record<string, string> } {
  return { headers: { authorization: `Bearer ${token}` } }
}

/**
 * Verifies `token` twice, so that the cache holds it afterwards: a token enters the verified-token
 * cache on its second verification. Resolves with the second outcome.
 */
export async function cacheToken(
  authenticator: { authenticate(req: { headers: Record<string, string> }): Promise<unknown> },
  token: string,
): Promise<unknown> {
  await authenticator.authenticate(bearer(token))
  return authenticator.authenticate(bearer(token))
}
