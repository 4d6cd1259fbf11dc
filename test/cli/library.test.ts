/**
 * The CLI asks the library instead of restating its rules (issue 22, point 8). These tests hold
 * its answers against the library's own internals, which the CLI may not import: the algorithm
 * lists, the strict base64 reading, and the weak-secret warning it collects.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { algorithmsFor, isPrivateKeyText } from '../../src/cli/key-formats.js'
import {
  hmacAlgorithms,
  isCookieNameAccepted,
  probeOptions,
  problemOf,
  refusal,
  verdict,
} from '../../src/cli/library.js'
import { decodeStdBase64 } from '../../src/cli/raw-keys.js'
import { HMAC_ALGORITHMS, algorithmsForKey } from '../../src/jws/algorithms.js'
import { isPrivateKeyPem, decodeStdBase64 as libraryDecode } from '../../src/keys/import-key.js'
import { isCookieName } from '../../src/request/cookie-name.js'

const KEYS: [string, KeyObject][] = [
  ['Ed25519', generateKeyPairSync('ed25519').publicKey],
  ['EC P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey],
  ['EC P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey],
  ['EC P-521', generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey],
  ['RSA 2048', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey],
]

describe("the CLI's algorithm lists are the library's", () => {
  it.each(KEYS)('%s', (_, key) => {
    expect(algorithmsFor(key)).toEqual(algorithmsForKey(key))
    expect(algorithmsFor(key)).not.toEqual([])
  })

  // createAuthenticator once threw a plain `Error: Unsupported JWK Key Type.` for an RSA-PSS key
  // (the public-key-as-secret check exported every public key as a JWK).
  it('RSA-PSS 2048', () => {
    const key = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey
    expect(algorithmsFor(key)).toEqual(algorithmsForKey(key))
  })

  it('for an HMAC secret', () => {
    expect(hmacAlgorithms()).toEqual(HMAC_ALGORITHMS)
  })

  it('and none for a key the library refuses (RSA under 2048 bits)', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey
    expect(algorithmsFor(weak)).toEqual([])
  })
})

describe('asking the library', () => {
  it.each(['cc', 'jwt_token', 'a b', 'a;b', '', 'é'])('judges the cookie name %j', (name) => {
    expect(isCookieNameAccepted(name)).toBe(isCookieName(name))
  })

  it("returns the refusal with the option and the library's problem", () => {
    const refused = refusal(probeOptions({ secret: Buffer.alloc(12, 7) }))
    expect(refused?.option).toBe('issuers[0].key.secret')
    expect(refused && problemOf(refused)).toBe('is 12 bytes; at least 32 bytes are required')
  })
})

describe('verdict', () => {
  let saved: ((warning: Error) => void)[]
  beforeEach(() => {
    saved = process.listeners('warning')
  })
  afterEach(() => {
    process.removeAllListeners('warning')
    for (const listener of saved) process.on('warning', listener)
  })

  it("collects the library's warnings, passes on the others, and restores the listeners", async () => {
    const printer = vi.fn()
    process.removeAllListeners('warning')
    process.on('warning', printer)
    const weak = Buffer.from('ab'.repeat(20))
    const judged = verdict(probeOptions({ secret: weak }))
    process.emitWarning('something else', { code: 'DEP0999' })
    const { refusal: refused, warnings } = await judged

    expect(refused).toBeUndefined()
    expect(warnings).toEqual([
      {
        code: 'JWT_GATE_WEAK_SECRET',
        message: expect.stringMatching(/^jwt-gate: "issuers\[0\]\.key\.secret" looks weak: /),
      },
    ])
    expect(printer).toHaveBeenCalledTimes(1)
    expect(printer.mock.calls[0]?.[0]).toMatchObject({ message: 'something else' })
    expect(process.listeners('warning')).toEqual([printer])
  })
})

describe("the CLI's strict base64 reading is the library's", () => {
  it.each(['', 'AAAA', 'AA==', 'AB==', 'A===', 'AA', 'AA-_', 'AA+/', ' AAAA', 'AAAA\n', 'A=A='])(
    '%j',
    (text) => {
      expect(decodeStdBase64(text)).toEqual(libraryDecode(text))
    },
  )

  it('on any text of base64 characters', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n'
    const text = fc
      .array(fc.constantFrom(...alphabet), { maxLength: 24 })
      .map((chars) => chars.join(''))
    fc.assert(
      fc.property(text, (candidate) => {
        expect(decodeStdBase64(candidate)).toEqual(libraryDecode(candidate))
      }),
      { numRuns: 2000 },
    )
  })
})

describe("the CLI tells private PEMs by parsing them, as the library's label rule does", () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const pem = (key: KeyObject, type: 'pkcs8' | 'pkcs1' | 'sec1' | 'spki', cipher?: string) =>
    key
      .export({ format: 'pem', type, ...(cipher === undefined ? {} : { cipher, passphrase: 'x' }) })
      .toString()
  it.each([
    ['PKCS#8', pem(rsa.privateKey, 'pkcs8')],
    ['PKCS#1', pem(rsa.privateKey, 'pkcs1')],
    ['SEC1', pem(ec.privateKey, 'sec1')],
    ['encrypted PKCS#8', pem(ec.privateKey, 'pkcs8', 'aes-256-cbc')],
    ['encrypted PKCS#1', pem(rsa.privateKey, 'pkcs1', 'aes-256-cbc')],
    ['SPKI', pem(rsa.publicKey, 'spki')],
    ['PKCS#1 public', pem(rsa.publicKey, 'pkcs1')],
  ])('%s', (_, text) => {
    expect(isPrivateKeyText(text)).toBe(isPrivateKeyPem(text))
  })
})
