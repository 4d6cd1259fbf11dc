/**
 * Raw token forging with node:crypto, so that attack tokens can carry anything: duplicate members,
 * invalid UTF-8, odd encodings, and signatures that are valid exactly where the attack needs them.
 */
import { constants, createHmac, sign as cryptoSign } from 'node:crypto'
import type { KeyObject } from 'node:crypto'

/** A token segment's content: a JSON value, raw JSON text, or raw bytes. */
export type SegmentInput = Record<string, unknown> | unknown[] | string | Buffer

/** Signing material: a private key, or HMAC key bytes / text. */
export type SigningKey = KeyObject | Buffer | string

/** base64url without padding (RFC 7515 §2). */
export function b64u(data: string | Uint8Array): string {
  return Buffer.from(data).toString('base64url')
}

/** The bytes a segment input stands for: objects are JSON-serialised, strings are JSON text. */
export function segmentBytes(input: SegmentInput): Buffer {
  if (Buffer.isBuffer(input)) return input
  if (typeof input === 'string') return Buffer.from(input, 'utf8')
  return Buffer.from(JSON.stringify(input), 'utf8')
}

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' }

/** Signs `input` as JWS algorithm `alg` would (RFC 7518 §3). */
export function signBytes(alg: string, key: SigningKey, input: string | Buffer): Buffer {
  const data = Buffer.from(input)
  const hash = HASH[alg.slice(2)] ?? 'sha256'
  if (alg.startsWith('HS')) {
    const secret = typeof key === 'string' ? Buffer.from(key, 'utf8') : key
    return createHmac(hash, secret).update(data).digest()
  }
  if (typeof key === 'string' || Buffer.isBuffer(key)) {
    throw new TypeError(`${alg} needs a private KeyObject`)
  }
  if (alg === 'EdDSA' || alg === 'Ed25519') return cryptoSign(null, data, key)
  if (alg.startsWith('ES')) return cryptoSign(hash, data, { key, dsaEncoding: 'ieee-p1363' })
  if (alg.startsWith('PS')) {
    return cryptoSign(hash, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    })
  }
  return cryptoSign(hash, data, key)
}

/** How a forged token is assembled. */
export interface ForgeSpec {
  header: SegmentInput
  payload: SegmentInput
  /** Signs `header.payload` with this algorithm and key. */
  sign?: { alg: string; key: SigningKey }
  /** Replaces or transforms the signature bytes (applied after signing). */
  signature?: Buffer | ((signature: Buffer) => Buffer)
  /** Encodes the segments; defaults to base64url. Signing covers the encoded text. */
  encode?: (bytes: Buffer) => string
}

/** Builds a compact JWS from raw parts, signing the encoded text when asked. */
export function forge(spec: ForgeSpec): string {
  const encode = spec.encode ?? b64u
  const signingInput = `${encode(segmentBytes(spec.header))}.${encode(segmentBytes(spec.payload))}`
  let signature =
    spec.sign === undefined
      ? Buffer.alloc(0)
      : signBytes(spec.sign.alg, spec.sign.key, signingInput)
  if (Buffer.isBuffer(spec.signature)) signature = spec.signature
  else if (spec.signature !== undefined) signature = spec.signature(signature)
  return `${signingInput}.${encode(signature)}`
}

/** The three segments of a compact token. */
export function parts(token: string): [string, string, string] {
  const [header = '', payload = '', signature = ''] = token.split('.')
  return [header, payload, signature]
}

/** The decoded signature bytes of a compact token. */
export function signatureOf(token: string): Buffer {
  return Buffer.from(parts(token)[2], 'base64url')
}

/** Replaces the signature segment with other bytes. */
export function withSignature(token: string, signature: Buffer): string {
  const [header, payload] = parts(token)
  return `${header}.${payload}.${b64u(signature)}`
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * The same bytes in a non-canonical spelling: the unused low bits of the last character set
 * (RFC 4648 §3.5). Undefined when the segment has no spare bits (length divisible by 4).
 */
export function nonCanonical(segment: string): string | undefined {
  if (segment.length % 4 === 0) return undefined
  const last = ALPHABET.indexOf(segment.charAt(segment.length - 1))
  return segment.slice(0, -1) + ALPHABET.charAt(last ^ 1)
}

/** A big-endian unsigned integer of exactly `size` bytes (truncating high bytes if larger). */
export function bigToBytes(value: bigint, size: number): Buffer {
  const hex = value
    .toString(16)
    .padStart(size * 2, '0')
    .slice(-size * 2)
  return Buffer.from(hex, 'hex')
}

/** A big-endian byte string as an unsigned integer. */
export function bytesToBig(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`)
}

/** DER `SEQUENCE { INTEGER r, INTEGER s }` of two unsigned integers (an X9.62 ECDSA signature). */
export function derEcdsa(r: bigint, s: bigint): Buffer {
  const integer = (value: bigint): Buffer => {
    let hex = value.toString(16)
    if (hex.length % 2 === 1) hex = `0${hex}`
    let bytes = Buffer.from(hex, 'hex')
    if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes])
    return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes])
  }
  const body = Buffer.concat([integer(r), integer(s)])
  return Buffer.concat([Buffer.from([0x30, body.length]), body])
}

/** Order n of P-256 (FIPS 186-4 D.1.2.3). */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
/** Order L of the Ed25519 base point (RFC 8032 §5.1). */
export const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n

/** Little-endian 32-byte encoding (Ed25519 scalars). */
export function littleEndian32(value: bigint): Buffer {
  return Buffer.from(bigToBytes(value, 32)).reverse()
}
