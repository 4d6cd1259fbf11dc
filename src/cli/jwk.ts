/**
 * Reading JWK and JWKS texts into `node:crypto` key objects, and the RFC 7638 thumbprint that
 * names a key. Errors never quote the text: JSON.parse's would, and the text may be a private key.
 *
 * @module
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto'
import { CommandError, parseJsonObject } from './io.js'

/** A JSON key text as an object. */
function parseKeyJson(text: string): Record<string, unknown> {
  return parseJsonObject(
    text,
    (problem) =>
      new CommandError(problem === 'not JSON' ? 'not valid JSON' : 'the JWK must be a JSON object'),
  )
}

/** The JWKS of a JSON key text, `undefined` when the text is a single JWK. */
export function pickJwks(text: string): { keys: JsonWebKey[] } | undefined {
  const { keys } = parseKeyJson(text)
  if (keys === undefined) return undefined
  if (!Array.isArray(keys)) throw new CommandError('the JWKS "keys" member must be an array')
  return { keys: keys as JsonWebKey[] }
}

/** The one JWK of a JWK or JWKS text (the one with `kid` when given). */
export function pickJwk(text: string, kid?: string): JsonWebKey {
  const jwks = pickJwks(text)
  if (jwks === undefined) return parseKeyJson(text)
  const { keys } = jwks
  const candidates = keys.filter((k) => kid === undefined || (k as { kid?: unknown }).kid === kid)
  const [only] = candidates
  if (candidates.length !== 1 || only === undefined) {
    throw new CommandError(
      kid === undefined
        ? `the JWKS holds ${keys.length} keys; pick one with --kid`
        : `the JWKS holds ${candidates.length} keys with kid "${kid}"`,
    )
  }
  return only
}

/**
 * Whether `node:crypto` would import the JWK as a private key: it has `d`. The library's own test
 * (any private member) is not public; it refuses what this lets through as a public key.
 */
export function hasPrivatePart(jwk: { d?: unknown }): boolean {
  return typeof jwk.d === 'string'
}

/** An asymmetric JWK, public or private, as a key object. */
export function importJwk(jwk: JsonWebKey): KeyObject {
  if (jwk.kty === 'oct') {
    throw new CommandError('the JWK is a symmetric (HMAC) key, not an asymmetric key')
  }
  try {
    return hasPrivatePart(jwk)
      ? createPrivateKey({ key: jwk, format: 'jwk' })
      : createPublicKey({ key: jwk, format: 'jwk' })
  } catch (err) {
    throw new CommandError(`cannot import the JWK (${cryptoReason(err)})`)
  }
}

/** Node's crypto error code, which names the failure without quoting the input. */
export function cryptoReason(err: unknown): string {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : 'invalid key'
}

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url): the hash of the required members in
 * lexicographic order, serialised without whitespace.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3.2
 */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const required: Record<string, string[]> = {
    EC: ['crv', 'kty', 'x', 'y'],
    OKP: ['crv', 'kty', 'x'],
    RSA: ['e', 'kty', 'n'],
    oct: ['k', 'kty'],
  }
  const members = required[jwk.kty ?? '']
  if (members === undefined) throw new CommandError('unsupported JWK key type (kty)')
  const canonical = JSON.stringify(
    Object.fromEntries(members.map((name) => [name, (jwk as Record<string, unknown>)[name]])),
  )
  return createHash('sha256').update(canonical).digest('base64url')
}
