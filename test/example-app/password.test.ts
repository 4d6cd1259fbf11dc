import { describe, expect, it } from 'vitest'
import { hashPassword, verifyPassword } from '../../example-app/auth-api/password.js'
import { TEST_COST } from './helpers.js'

describe('scrypt password hashes', () => {
  it('stores the cost, a 16-byte salt and a 32-byte hash', async () => {
    const stored = await hashPassword('correct horse', TEST_COST)
    const [scheme, n, r, p, salt, hash] = stored.split('$')
    expect([scheme, n, r, p]).toEqual(['scrypt', '1024', '8', '1'])
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16)
    expect(Buffer.from(hash!, 'base64')).toHaveLength(32)
  })

  it('salts every hash', async () => {
    expect(await hashPassword('same', TEST_COST)).not.toBe(await hashPassword('same', TEST_COST))
  })

  it('verifies the right password only', async () => {
    const stored = await hashPassword('correct horse', TEST_COST)
    expect(await verifyPassword('correct horse', stored)).toBe(true)
    expect(await verifyPassword('correct horse ', stored)).toBe(false)
    expect(await verifyPassword('', stored)).toBe(false)
  })

  it('treats composed and decomposed Unicode alike (NFC)', async () => {
    const stored = await hashPassword('caf\u00e9', TEST_COST)
    expect(await verifyPassword('cafe\u0301', stored)).toBe(true)
  })

  it.each([
    '',
    'plain',
    'scrypt$1024$8$1$c2FsdA==',
    'bcrypt$1$2$3$4$5',
    'scrypt$0$8$1$c2FsdA==$aGFzaA==',
    'scrypt$1024$8$1$c2FsdA==$aGFzaA==',
  ])('never matches the malformed stored value %j', async (stored) => {
    expect(await verifyPassword('anything', stored)).toBe(false)
  })
})
