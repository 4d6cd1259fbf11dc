/**
 * jwt-gate computes HMACs from two one-shot hashes over key blocks prepared once (src/jws/hmac.ts).
 * This suite holds every result equal to Node's `createHmac()`: keys shorter than, equal to and
 * longer than the block (which are hashed first), messages around the scratch space's first size
 * and beyond it, several keys and hashes interleaved, and random keys and messages.
 */
import { createHmac, createSecretKey, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hmacLatin1 } from '../../src/jws/hmac.js'
import type { HmacHash } from '../../src/jws/hmac.js'

const HASHES: HmacHash[] = ['sha256', 'sha384', 'sha512']

/** Node's own HMAC of the same bytes, as a latin1 string. */
function reference(secret: Buffer, hash: HmacHash, message: string): string {
  return createHmac(hash, secret).update(message, 'latin1').digest('binary')
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1')
}

describe('hmacLatin1', () => {
  const keyLengths = [1, 31, 32, 48, 63, 64, 65, 127, 128, 129, 300]
  const messageLengths = [0, 1, 55, 56, 64, 111, 112, 128, 1023, 1024, 1025, 5000]

  for (const hash of HASHES) {
    it(`equals createHmac for ${hash} at every key and message length class`, () => {
      for (const keyLength of keyLengths) {
        const secret = randomBytes(keyLength)
        const key = createSecretKey(secret)
        for (const messageLength of messageLengths) {
          const message = latin1(randomBytes(messageLength))
          expect(hmacLatin1(key, hash, message)).toBe(reference(secret, hash, message))
        }
      }
    })
  }

  it('stays correct after the scratch space grows, for longer and then shorter messages', () => {
    const secret = randomBytes(32)
    const key = createSecretKey(secret)
    for (const length of [10, 20_000, 10, 3000, 0, 40_000, 5]) {
      const message = latin1(randomBytes(length))
      expect(hmacLatin1(key, 'sha256', message)).toBe(reference(secret, 'sha256', message))
    }
  })

  it('keeps keys and hashes apart when calls interleave', () => {
    const secrets = [randomBytes(32), randomBytes(64), randomBytes(200)]
    const keys = secrets.map((secret) => createSecretKey(secret))
    for (let round = 0; round < 20; round++) {
      const index = round % secrets.length
      const hash = HASHES[round % HASHES.length]!
      const message = latin1(randomBytes(50 + round * 97))
      expect(hmacLatin1(keys[index]!, hash, message)).toBe(
        reference(secrets[index]!, hash, message),
      )
    }
  })

  it('differs for a different key of the same length and for a changed message', () => {
    const key = createSecretKey(randomBytes(32))
    const other = createSecretKey(randomBytes(32))
    const message = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0'
    expect(hmacLatin1(key, 'sha256', message)).not.toBe(hmacLatin1(other, 'sha256', message))
    expect(hmacLatin1(key, 'sha256', message)).not.toBe(hmacLatin1(key, 'sha256', `${message}x`))
  })

  it('equals createHmac for random keys and messages (property)', () => {
    const seen = new Map<string, KeyObject>()
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.constantFrom(...HASHES),
        (secretBytes, messageBytes, hash) => {
          const secret = Buffer.from(secretBytes)
          const id = secret.toString('hex')
          let key = seen.get(id)
          if (key === undefined) {
            key = createSecretKey(secret)
            seen.set(id, key)
          }
          const message = latin1(messageBytes)
          expect(hmacLatin1(key, hash, message)).toBe(reference(secret, hash, message))
        },
      ),
      { numRuns: 300 },
    )
  })
})
