/**
 * HMAC (RFC 2104) as two one-shot hashes over key blocks prepared once per key.
 *
 * `createHmac()` builds a stream object and an OpenSSL MAC context for every token. Inside a busy
 * server that costs about as much as the hashing itself. An HMAC is by definition
 * `H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))`, with `K` the key zero-padded to the hash's block size (or
 * first hashed, when longer). Both padded blocks depend only on the key, so they are computed once;
 * each token then costs two calls of `crypto.hash()`, Node's one-shot digest.
 * `test/unit/hmac.test.ts` holds the result equal to `createHmac()` for keys and messages of every
 * length class and all three hashes.
 *
 * The prepared blocks are as secret as the key itself. They live in Buffers this module never hands
 * out, next to the scratch space for the message.
 *
 * @module
 */
import { createHash, hash as oneShotHash } from 'node:crypto'
import type { KeyObject } from 'node:crypto'

/** The hashes of HS256, HS384 and HS512. */
export type HmacHash = 'sha256' | 'sha384' | 'sha512'

/** Block size of each hash in bytes (the size the key is padded to). */
const BLOCK_BYTES: Readonly<Record<HmacHash, number>> = { sha256: 64, sha384: 128, sha512: 128 }

/** Room for the message reserved at first; grown (doubled) when a longer signing input comes. */
const INITIAL_MESSAGE_BYTES = 1024

interface PreparedKey {
  /** `K ⊕ ipad`, then room for the message. */
  inner: Buffer
  /** `K ⊕ opad`, then room for the inner digest. */
  readonly outer: Buffer
  readonly block: number
}

const preparedKeys = new WeakMap<KeyObject, Map<HmacHash, PreparedKey>>()

function prepare(key: KeyObject, hash: HmacHash): PreparedKey {
  const block = BLOCK_BYTES[hash]
  const raw = key.export()
  const secret = raw.length > block ? createHash(hash).update(raw).digest() : raw
  const inner = Buffer.alloc(block + INITIAL_MESSAGE_BYTES)
  const outer = Buffer.alloc(block + createHash(hash).digest().length)
  for (let i = 0; i < block; i++) {
    const byte = i < secret.length ? secret[i]! : 0
    inner[i] = byte ^ 0x36
    outer[i] = byte ^ 0x5c
  }
  raw.fill(0)
  secret.fill(0)
  return { inner, outer, block }
}

function preparedFor(key: KeyObject, hash: HmacHash): PreparedKey {
  let byHash = preparedKeys.get(key)
  if (byHash === undefined) {
    byHash = new Map()
    preparedKeys.set(key, byHash)
  }
  let prepared = byHash.get(hash)
  if (prepared === undefined) {
    prepared = prepare(key, hash)
    byHash.set(hash, prepared)
  }
  return prepared
}

/**
 * The HMAC of `message` (a latin1 string: each character one byte, as a JWS signing input is
 * ASCII) under a secret `KeyObject`, as a latin1 string of the digest bytes.
 */
export function hmacLatin1(key: KeyObject, hash: HmacHash, message: string): string {
  const prepared = preparedFor(key, hash)
  const { block, outer } = prepared
  const needed = block + message.length
  if (prepared.inner.length < needed) {
    const grown = Buffer.alloc(Math.max(needed, prepared.inner.length * 2))
    prepared.inner.copy(grown, 0, 0, block)
    prepared.inner.fill(0)
    prepared.inner = grown
  }
  const inner = prepared.inner
  inner.write(message, block, 'latin1')
  // Synchronous from here to the return: no other call can use the scratch space in between.
  outer.write(oneShotHash(hash, inner.subarray(0, needed), 'binary'), block, 'latin1')
  return oneShotHash(hash, outer, 'binary')
}
