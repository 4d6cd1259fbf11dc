/**
 * Signature forgery: empty, truncated, extended, bit-flipped, spliced and attacker-keyed
 * signatures; the ECDSA "psychic signature" (CVE-2022-21449) in raw and DER form; Ed25519 zero and
 * non-canonical S (RFC 8032 §5.1.7); DER-encoded ES256 (RFC 7518 §3.4); RSA signatures of the
 * wrong length (RFC 8017 §8.2.2).
 */
import type { AuthErrorCode } from '../../src/index.js'
import {
  ED25519_L,
  P256_N,
  bigToBytes,
  bytesToBig,
  derEcdsa,
  littleEndian32,
  nonCanonical,
  parts,
  signatureOf,
  withSignature,
} from './helpers/forge.js'
import { attackerKeys } from './helpers/keys.js'
import { describe, expect, it } from 'vitest'
import { expectPassed, runAttackTable, send, startServer } from './helpers/harness.js'
import type { AttackRow } from './helpers/harness.js'
import { target, tokenFor } from './helpers/targets.js'
import type { Target } from './helpers/targets.js'

const SIGNATURE_INVALID: AuthErrorCode[] = ['ERR_AUTH_SIGNATURE_INVALID']
const BAD_SIGNATURE: AuthErrorCode[] = ['ERR_AUTH_SIGNATURE_INVALID', 'ERR_AUTH_TOKEN_MALFORMED']
const isEcdsa = (t: Target): boolean => t.alg === 'ES256'
const isEd25519 = (t: Target): boolean => t.alg === 'EdDSA'
const isRsa = (t: Target): boolean => t.alg === 'RS256'

/** A valid token of the target whose signature is replaced by `change(validSignature)`. */
function resigned(t: Target, change: (signature: Buffer) => Buffer): string {
  return tokenFor(t, { signature: change })
}

function flip(signature: Buffer, index: number, bit = 1): Buffer {
  const copy = Buffer.from(signature)
  const at = ((index % copy.length) + copy.length) % copy.length
  copy[at] = (copy[at] ?? 0) ^ bit
  return copy
}

const rows: AttackRow[] = [
  {
    ref: 'RFC 7515 §5.2 (signature required)',
    name: 'empty signature segment',
    build: (t) => ({ token: tokenFor(t, { signature: Buffer.alloc(0) }) }),
    codes: ['ERR_AUTH_TOKEN_MALFORMED'],
  },
  {
    ref: 'RFC 7515 §5.2',
    name: 'signature truncated by one byte',
    build: (t) => ({ token: resigned(t, (s) => s.subarray(0, -1)) }),
    codes: SIGNATURE_INVALID,
  },
  {
    ref: 'RFC 7515 §5.2',
    name: 'signature truncated to half',
    build: (t) => ({ token: resigned(t, (s) => s.subarray(0, s.length / 2)) }),
    codes: SIGNATURE_INVALID,
  },
  {
    ref: 'RFC 7515 §5.2',
    name: 'signature truncated to one byte',
    build: (t) => ({ token: resigned(t, (s) => s.subarray(0, 1)) }),
    codes: SIGNATURE_INVALID,
  },
  {
    ref: 'RFC 7515 §5.2',
    name: 'signature extended by a zero byte',
    build: (t) => ({ token: resigned(t, (s) => Buffer.concat([s, Buffer.alloc(1)])) }),
    codes: SIGNATURE_INVALID,
  },
  {
    ref: 'RFC 7515 §5.2',
    name: 'signature with a zero byte prepended',
    build: (t) => ({ token: resigned(t, (s) => Buffer.concat([Buffer.alloc(1), s])) }),
    codes: SIGNATURE_INVALID,
  },
  {
    ref: 'RFC 7515 §5.2',
    name: 'signature doubled',
    build: (t) => ({ token: resigned(t, (s) => Buffer.concat([s, s])) }),
    codes: SIGNATURE_INVALID,
  },
  {
    ref: 'RFC 7515 §5.2',
    name: 'signature all zero bytes of the right length',
    build: (t) => ({ token: resigned(t, (s) => Buffer.alloc(s.length)) }),
    codes: SIGNATURE_INVALID,
  },
  {
    ref: 'RFC 7515 §5.2',
    name: 'signature all 0xff bytes of the right length',
    build: (t) => ({ token: resigned(t, (s) => Buffer.alloc(s.length, 0xff)) }),
    codes: SIGNATURE_INVALID,
  },
  ...[0, 1, 17, -2, -1].flatMap((index) =>
    [1, 0x80].map((bit): AttackRow => ({
      ref: 'RFC 7515 §5.2 (bit flip)',
      name: `bit 0x${bit.toString(16)} flipped in signature byte ${index}`,
      build: (t) => ({ token: resigned(t, (s) => flip(s, index, bit)) }),
      codes: SIGNATURE_INVALID,
    })),
  ),
  {
    ref: 'RFC 7515 §5.2 (payload changed under a valid signature)',
    name: 'sub changed to admin, the original signature kept',
    build: (t) => {
      const [, , signature] = parts(tokenFor(t))
      const [header, payload] = parts(tokenFor(t, { claims: { sub: 'admin' } }))
      return { token: `${header}.${payload}.${signature}` }
    },
    codes: SIGNATURE_INVALID,
  },
  {
    ref: 'RFC 7515 §5.2 (header changed under a valid signature)',
    name: 'typ added to the header, the original signature kept',
    build: (t) => {
      const [, payload, signature] = parts(tokenFor(t))
      const [header] = parts(tokenFor(t, { header: { typ: 'at+jwt' } }))
      return { token: `${header}.${payload}.${signature}` }
    },
    codes: ['ERR_AUTH_SIGNATURE_INVALID', 'ERR_AUTH_TOKEN_HEADER_INVALID'],
  },
  {
    ref: 'splicing (signature of another valid token)',
    name: 'header and payload of an admin token with the signature of a user token',
    build: (t) => {
      const [header, payload] = parts(tokenFor(t, { claims: { roles: ['admin'] } }))
      const [, , signature] = parts(tokenFor(t, { claims: { jti: 'other' } }))
      return { token: `${header}.${payload}.${signature}` }
    },
    codes: SIGNATURE_INVALID,
  },
  {
    ref: 'splicing (signature of another valid token)',
    name: 'payload of one valid token, header and signature of another',
    build: (t) => {
      const [header, , signature] = parts(tokenFor(t, { claims: { jti: 'a' } }))
      const [, payload] = parts(tokenFor(t, { claims: { jti: 'b' } }))
      return { token: `${header}.${payload}.${signature}` }
    },
    codes: SIGNATURE_INVALID,
  },
  {
    ref: 'RFC 4648 §3.5 (non-canonical encoding of a valid signature)',
    name: 'signature segment with non-zero trailing bits',
    applies: (t) => nonCanonical(parts(tokenFor(t))[2]) !== undefined,
    build: (t) => {
      const [header, payload, signature] = parts(tokenFor(t))
      return { token: `${header}.${payload}.${nonCanonical(signature)!}` }
    },
    codes: ['ERR_AUTH_TOKEN_MALFORMED'],
  },
  {
    ref: 'attacker-keyed signature',
    name: 'signed by the attacker with a key of the same type',
    build: (t) => {
      const key =
        t.alg === 'HS256'
          ? attackerKeys.secret
          : t.alg === 'ES256'
            ? attackerKeys.es256.privateKey
            : t.alg === 'RS256'
              ? attackerKeys.rsa.privateKey
              : attackerKeys.ed25519.privateKey
      return { token: tokenFor(t, { key }) }
    },
    codes: SIGNATURE_INVALID,
  },
  {
    ref: 'attacker-keyed signature',
    name: 'HS256 target: signed with an empty secret',
    applies: (t) => t.alg === 'HS256',
    build: (t) => ({ token: tokenFor(t, { key: Buffer.alloc(0) }) }),
    codes: SIGNATURE_INVALID,
  },
  {
    ref: 'attacker-keyed signature',
    name: 'HS256 target: MAC truncated to 16 bytes',
    applies: (t) => t.alg === 'HS256',
    build: (t) => ({ token: resigned(t, (s) => s.subarray(0, 16)) }),
    codes: SIGNATURE_INVALID,
  },
]

/** r and s of a raw (IEEE P1363) ES256 signature. */
function rs(signature: Buffer): [bigint, bigint] {
  return [bytesToBig(signature.subarray(0, 32)), bytesToBig(signature.subarray(32))]
}
const raw = (r: bigint, s: bigint): Buffer => Buffer.concat([bigToBytes(r, 32), bigToBytes(s, 32)])

const PSYCHIC: [string, (r: bigint, s: bigint) => Buffer][] = [
  ['r = s = 0 (raw)', () => raw(0n, 0n)],
  ['r = s = 0 (DER)', () => derEcdsa(0n, 0n)],
  ['r = s = n (raw)', () => raw(P256_N, P256_N)],
  ['r = s = n (DER)', () => derEcdsa(P256_N, P256_N)],
  ['r = 0, valid s (raw)', (_r, s) => raw(0n, s)],
  ['valid r, s = 0 (raw)', (r) => raw(r, 0n)],
  ['r = n, valid s (raw)', (_r, s) => raw(P256_N, s)],
  ['valid r, s = n (raw)', (r) => raw(r, P256_N)],
  ['r + n, valid s (DER, 33-byte r)', (r, s) => derEcdsa(r + P256_N, s)],
  ['valid r, s + n (DER)', (r, s) => derEcdsa(r, s + P256_N)],
  ['r = s = 2^256 - 1 (raw)', () => raw(2n ** 256n - 1n, 2n ** 256n - 1n)],
  ['r = 1, s = 1 (raw)', () => raw(1n, 1n)],
  ['the valid signature DER-encoded', (r, s) => derEcdsa(r, s)],
  [
    'the valid signature DER-encoded, then padded to 64 bytes',
    (r, s) => {
      const der = derEcdsa(r, s)
      return der.length >= 64
        ? der.subarray(0, 64)
        : Buffer.concat([der, Buffer.alloc(64 - der.length)])
    },
  ],
]
for (const [name, make] of PSYCHIC) {
  rows.push({
    ref: 'CVE-2022-21449 (ECDSA psychic signature) / RFC 7518 §3.4',
    name: `ES256 signature ${name}`,
    applies: isEcdsa,
    build: (t) => ({ token: resigned(t, (s) => make(...rs(s))) }),
    codes: BAD_SIGNATURE,
  })
}

const ED_CASES: [string, (signature: Buffer, publicX: Buffer) => Buffer][] = [
  ['all-zero signature', () => Buffer.alloc(64)],
  ['identity R with S = 0', () => Buffer.concat([littleEndian32(1n), Buffer.alloc(32)])],
  [
    'non-canonical S + L (RFC 8032 §5.1.7 requires S < L)',
    (s) => {
      const scalar = bytesToBig(Buffer.from(s.subarray(32)).reverse())
      return Buffer.concat([s.subarray(0, 32), littleEndian32(scalar + ED25519_L)])
    },
  ],
  ['S = L', (s) => Buffer.concat([s.subarray(0, 32), littleEndian32(ED25519_L)])],
  ['S = 2^256 - 1', (s) => Buffer.concat([s.subarray(0, 32), Buffer.alloc(32, 0xff)])],
  ['R replaced by the public key', (s, x) => Buffer.concat([x, s.subarray(32)])],
]
for (const [name, make] of ED_CASES) {
  rows.push({
    ref: 'RFC 8032 §5.1.7 (Ed25519 verification) / signature malleability',
    name: `Ed25519 ${name}`,
    applies: isEd25519,
    build: (t) => ({
      token: resigned(t, (s) => make(s, Buffer.from(t.keys!.publicJwk.x!, 'base64url'))),
    }),
    codes: SIGNATURE_INVALID,
  })
}

const RSA_CASES: [string, (signature: Buffer, n: bigint) => Buffer][] = [
  ['255 bytes (leading byte dropped)', (s) => s.subarray(1)],
  ['257 bytes (zero byte prepended)', (s) => Buffer.concat([Buffer.alloc(1), s])],
  ['512 bytes (twice the modulus)', (s) => Buffer.concat([Buffer.alloc(256), s])],
  ['the modulus itself (s = n)', (_s, n) => bigToBytes(n, 256)],
  ['s = n + s (out of range)', (s, n) => bigToBytes(n + bytesToBig(s), 257)],
  ['s = 0', () => Buffer.alloc(256)],
  ['s = 1', () => bigToBytes(1n, 256)],
  ['s = n - 1', (_s, n) => bigToBytes(n - 1n, 256)],
]
for (const [name, make] of RSA_CASES) {
  rows.push({
    ref: 'RFC 8017 §8.2.2 (RSASSA-PKCS1-v1_5 signature length and range)',
    name: `RSA signature ${name}`,
    applies: isRsa,
    build: (t) => {
      const n = bytesToBig(Buffer.from(t.keys!.publicJwk.n!, 'base64url'))
      return { token: resigned(t, (s) => make(s, n)) }
    },
    codes: SIGNATURE_INVALID,
  })
}

rows.push({
  ref: 'CVE-2022-21449',
  name: 'psychic signature with the kid of the EC key of the set, alg ES256',
  applies: (t) => t.name === 'jwks',
  build: (t) => ({ token: resigned(t, () => raw(0n, 0n)) }),
  codes: SIGNATURE_INVALID,
})

runAttackTable('signature forgery', rows)

describe('ECDSA signature malleability (documented behaviour, see SECURITY.md)', () => {
  it('the (r, n - s) twin of a valid ES256 token verifies: same issuer-signed claims, another string', async () => {
    const t = target('es256-pem')
    const srv = await startServer(t)
    try {
      const token = tokenFor(t)
      const twin = withSignature(
        token,
        (() => {
          const [r, s] = rs(signatureOf(token))
          return raw(r, P256_N - s)
        })(),
      )
      expect(twin).not.toBe(token)
      // Not a forgery: the claims are exactly what the issuer signed. It is why revocation and
      // replay checks key on `jti`, never on the token string.
      const before = srv.ran()
      expectPassed(await send(srv, { token: twin }), srv, before)
    } finally {
      await srv.close()
    }
  })
})
