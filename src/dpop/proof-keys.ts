/**
 * Proof keys: the public JWK of a DPoP proof header, checked and imported once per thumbprint.
 * A client reuses its key for many proofs, so the import (the costly part for RSA) is cached; the
 * thumbprint covers every member that defines the key, so one thumbprint is one key.
 *
 * @module
 */
import { createPublicKey } from 'node:crypto'
import type { JsonWebKey, KeyObject } from 'node:crypto'
import { MIN_RSA_BITS } from '../jws/algorithms.js'
import { KnownHeaders } from '../jws/compact.js'
import type { DecodedToken } from '../jws/compact.js'

/** Members only a private or symmetric JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/** Whether a proof header's `jwk` is a plain object holding no private or symmetric material. */
export function isPublicJwk(jwk: unknown): jwk is Readonly<Record<string, unknown>> {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return false
  if (SECRET_MEMBERS.some((member) => Object.hasOwn(jwk, member))) return false
  return (jwk as { kty?: unknown }).kty !== 'oct'
}

/**
 * Imported proof keys by thumbprint, at most `max`; the oldest goes first. Also the headers of
 * proofs whose signature verified, by their exact encoded segment: a client signs every proof with
 * the same header (`typ`, `alg`, `jwk`), so its next proof skips the header's decoding and checks
 * and the thumbprint. Only verified headers enter, and at most `max`.
 */
export class ProofKeys {
  readonly #keys = new Map<string, KeyObject>()
  readonly headers: KnownHeaders
  /** The thumbprint of each known header's `jwk` (the header objects are the cache's own). */
  readonly #thumbprints = new WeakMap<object, string>()

  constructor(readonly max = 1000) {
    this.headers = new KnownHeaders(max)
  }

  /** The thumbprint remembered for a known header, if it is one. */
  thumbprintOf(header: object): string | undefined {
    return this.#thumbprints.get(header)
  }

  /** Remembers a verified proof's header (frozen, with its `jwk`) and its thumbprint. */
  rememberHeader(proof: string, header: DecodedToken['header'], jkt: string): void {
    Object.freeze(header.jwk)
    this.headers.add(proof, Object.freeze(header))
    this.#thumbprints.set(header, jkt)
  }

  /** The public key of `jwk` (whose thumbprint is `jkt`), or undefined if it does not import. */
  get(jkt: string, jwk: Readonly<Record<string, unknown>>): KeyObject | undefined {
    const known = this.#keys.get(jkt)
    if (known !== undefined) return known
    let key: KeyObject
    try {
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
    } catch {
      return undefined
    }
    // The same floor as issuers' keys: a weak RSA proof key is refused, not cached.
    const { modulusLength } = key.asymmetricKeyDetails ?? {}
    if (modulusLength !== undefined && modulusLength < MIN_RSA_BITS) return undefined
    if (this.#keys.size >= this.max) {
      const oldest = this.#keys.keys().next().value
      if (oldest !== undefined) this.#keys.delete(oldest)
    }
    this.#keys.set(jkt, key)
    return key
  }

  get size(): number {
    return this.#keys.size
  }
}
