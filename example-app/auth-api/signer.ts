/**
 * Signs the AuthAPI's access tokens (EdDSA) and publishes the matching JWKS.
 *
 * @module
 */
import { randomUUID, type KeyObject } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, SignJWT, type JSONWebKeySet } from 'jose'

/** What the signer needs. */
export interface SignerOptions {
  privateKey: KeyObject
  publicKey: KeyObject
  /** The `iss` claim. */
  issuer: string
  /** The `aud` claim, when the apps require one. */
  audience?: string | undefined
  /** Token lifetime in seconds. */
  ttlSeconds: number
  /** Clock used for `iat`, `nbf` and `exp` (tests pass a fixed one). */
  clock?: () => Date
}

/** The subject of a token. */
export interface TokenSubject {
  username: string
  roles: string[]
  name?: string | undefined
}

/** A signed token and when it expires. */
export interface SignedToken {
  token: string
  /** Seconds since the epoch. */
  expiresAt: number
}

/** The token signer: `sign()` and the public `jwks`. */
export interface TokenSigner {
  sign(subject: TokenSubject): Promise<SignedToken>
  readonly jwks: JSONWebKeySet
  readonly ttlSeconds: number
}

/** Builds a signer; the key id is the RFC 7638 thumbprint of the public key. */
export async function createTokenSigner(options: SignerOptions): Promise<TokenSigner> {
  const jwk = await exportJWK(options.publicKey)
  const kid = await calculateJwkThumbprint(jwk)
  const jwks: JSONWebKeySet = { keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] }
  const clock = options.clock ?? (() => new Date())

  return {
    jwks,
    ttlSeconds: options.ttlSeconds,
    async sign(subject) {
      const now = Math.floor(clock().getTime() / 1000)
      const expiresAt = now + options.ttlSeconds
      const jwt = new SignJWT({
        roles: subject.roles,
        ...(subject.name === undefined ? {} : { name: subject.name }),
      })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid })
        .setIssuer(options.issuer)
        .setSubject(subject.username)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(expiresAt)
        .setJti(randomUUID())
      if (options.audience !== undefined) jwt.setAudience(options.audience)
      return { token: await jwt.sign(options.privateKey), expiresAt }
    },
  }
}
