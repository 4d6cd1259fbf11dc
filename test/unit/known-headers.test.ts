/**
 * Known headers: a fresh token whose protected header was seen on a verified token skips decoding
 * it again. The shortcut must give exactly what decoding gives, never admit a header a client made
 * up, and stay bounded.
 */
import { describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import { z } from 'zod'
import { KnownHeaders, decodeCompact } from '../../src/jws/compact.js'
import { createAuthenticator } from '../../src/index.js'
import { defaultClaims } from '../../src/claims/presets.js'
import { hmacSecret } from '../helpers/keys.js'
import { ISSUER, NOW_S, clock, signHmac, tamper } from '../helpers/tokens.js'

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const sig = Buffer.from('signature-bytes').toString('base64url')

/** An HS256 authenticator on the test clock, cache off: every token is verified in full. */
const gate = (): ReturnType<typeof createAuthenticator> =>
  createAuthenticator({
    issuers: [
      { issuer: ISSUER, key: { secret: hmacSecret, encoding: 'utf8' }, algorithms: ['HS256'] },
    ],
    clock,
    cache: false,
  })
const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

describe('KnownHeaders', () => {
  it('gives the decoded header itself for a known segment, frozen, equal to a fresh decode', () => {
    const known = new KnownHeaders()
    const token = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64({ sub: 'a' })}.${sig}`
    const first = decodeCompact(token, 8192, new Set(), known)
    expect(first.knownHeader).toBe(false)
    expect(Object.isFrozen(first.header)).toBe(true)
    known.add(token, first.header)

    const other = `${token.split('.')[0]}.${b64({ sub: 'b' })}.${sig}`
    const second = decodeCompact(other, 8192, new Set(), known)
    expect(second.knownHeader).toBe(true)
    expect(second.header).toBe(first.header)
    expect(second.header).toEqual(decodeCompact(other, 8192).header)
    expect(second.payload).toEqual({ sub: 'b' })
  })

  it('still refuses a bad payload or signature segment after a known header', () => {
    const known = new KnownHeaders()
    const head = b64({ alg: 'HS256' })
    const good = `${head}.${b64({ sub: 'a' })}.${sig}`
    known.add(good, decodeCompact(good, 8192).header)
    expect(() => decodeCompact(`${head}.${b64([1])}.${sig}`, 8192, new Set(), known)).toThrow(
      expect.objectContaining({ code: 'ERR_AUTH_TOKEN_MALFORMED' }),
    )
    expect(() => decodeCompact(`${head}.${b64({ sub: 'a' })}.a+b`, 8192, new Set(), known)).toThrow(
      expect.objectContaining({ code: 'ERR_AUTH_TOKEN_MALFORMED' }),
    )
  })

  it(`keeps at most ${KnownHeaders.max} headers, and a segment copy of its own`, () => {
    const known = new KnownHeaders()
    for (let i = 0; i < KnownHeaders.max + 10; i++) {
      const token = `${b64({ alg: 'HS256', kid: `k${i}` })}.${b64({ sub: 'a' })}.${sig}`
      known.add(token, decodeCompact(token, 8192).header)
    }
    expect(known.size).toBe(KnownHeaders.max)
    const late = `${b64({ alg: 'HS256', kid: `k${KnownHeaders.max + 1}` })}.${b64({ sub: 'a' })}.${sig}`
    expect(decodeCompact(late, 8192, new Set(), known).knownHeader).toBe(false)
  })

  it('decodes known and unknown headers alike (property)', () => {
    const headerValue = fc.record({
      alg: fc.constantFrom('HS256', 'EdDSA', 'RS256'),
      kid: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
      typ: fc.option(fc.constantFrom('JWT', 'jwt', 'application/jwt'), { nil: undefined }),
    })
    fc.assert(
      fc.property(fc.array(headerValue, { minLength: 1, maxLength: 6 }), (headers) => {
        const known = new KnownHeaders()
        for (const h of headers) {
          const token = `${b64(h)}.${b64({ sub: 'a' })}.${sig}`
          const plain = decodeCompact(token, 8192)
          const shortcut = decodeCompact(token, 8192, new Set(), known)
          expect(shortcut.header).toEqual(plain.header)
          if (!shortcut.knownHeader) known.add(token, shortcut.header)
        }
      }),
      { numRuns: 300 },
    )
  })
})

describe('the authenticator and known headers', () => {
  it('learns a header from verified tokens only, once', async () => {
    const add = vi.spyOn(KnownHeaders.prototype, 'add')
    try {
      const authenticator = gate()
      const valid = await signHmac({ header: { kid: 'k1' } })
      // Same header as a valid token would have, but the signature does not match it.
      const forged = tamper(valid, { header: { kid: 'k2' } })
      await expect(authenticator.authenticate(request(forged))).rejects.toMatchObject({
        code: 'ERR_AUTH_SIGNATURE_INVALID',
      })
      expect(add).not.toHaveBeenCalled()
      await expect(authenticator.authenticate(request(valid))).resolves.toMatchObject({
        subject: 'alice',
      })
      expect(add).toHaveBeenCalledTimes(1)
      const again = await signHmac({ header: { kid: 'k1' }, claims: { sub: 'bob' } })
      await expect(authenticator.authenticate(request(again))).resolves.toMatchObject({
        subject: 'bob',
      })
      expect(add).toHaveBeenCalledTimes(1)
    } finally {
      add.mockRestore()
    }
  })

  it('accepts a second token with a header it has verified, and refuses its forgery', async () => {
    const authenticator = gate()
    const first = await signHmac({ claims: { sub: 'alice' } })
    const second = await signHmac({ claims: { sub: 'bob' } })
    expect(first.split('.')[0]).toBe(second.split('.')[0])
    await expect(authenticator.authenticate(request(first))).resolves.toMatchObject({
      subject: 'alice',
    })
    await expect(authenticator.authenticate(request(second))).resolves.toMatchObject({
      subject: 'bob',
    })
    await expect(
      authenticator.authenticate(request(tamper(second, { payload: { sub: 'admin' } }))),
    ).rejects.toMatchObject({ code: 'ERR_AUTH_SIGNATURE_INVALID' })
  })
})

/** Whether a JSON value holds a "__proto__" member anywhere, which the strict walk refuses. */
function hasProtoMember(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasProtoMember)
  if (value === null || typeof value !== 'object') return false
  return Object.entries(value).some(
    ([name, member]) => name === '__proto__' || hasProtoMember(member),
  )
}

describe('the default claims schema', () => {
  it('gives the claims its zod parse would give, deep-frozen, without running it', async () => {
    const authenticator = gate()
    const extra = fc.dictionary(
      fc
        .string({ minLength: 1, maxLength: 6 })
        .filter((k) => !['iss', 'sub', 'iat', 'nbf', 'exp', 'aud', 'jti', '__proto__'].includes(k)),
      // The strict JSON walk refuses a "__proto__" member at any depth (another test covers
      // that), so nested values must not carry one either.
      fc.jsonValue({ maxDepth: 3 }).filter((value) => !hasProtoMember(value)),
      { maxKeys: 5 },
    )
    await fc.assert(
      fc.asyncProperty(extra, fc.string({ minLength: 1, maxLength: 10 }), async (claims, sub) => {
        const token = await signHmac({ claims: { ...claims, sub, roles: undefined } })
        const auth = await authenticator.authenticate(request(token))
        const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
        expect(auth!.claims).toEqual(defaultClaims.parse(payload))
        expect(Object.isFrozen(auth!.claims)).toBe(true)
      }),
      { numRuns: 100 },
    )
  })

  it('still refuses what the default schema refuses: an empty or missing "sub"', async () => {
    const authenticator = gate()
    expect(defaultClaims.safeParse({ sub: '' }).success).toBe(false)
    for (const sub of ['', undefined, 7]) {
      const token = await signHmac({ claims: { sub } })
      await expect(authenticator.authenticate(request(token))).rejects.toMatchObject({
        code: 'ERR_AUTH_CLAIMS_INVALID',
      })
    }
    // A custom schema still runs.
    const strict = createAuthenticator({
      issuers: [
        {
          issuer: ISSUER,
          key: { secret: hmacSecret, encoding: 'utf8' },
          algorithms: ['HS256'],
          claims: z.looseObject({ sub: z.string(), tier: z.literal('gold') }),
        },
      ],
      clock,
      cache: false,
    })
    const token = await signHmac({ claims: { tier: 'silver', exp: NOW_S + 60 } })
    await expect(strict.authenticate(request(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_CLAIMS_INVALID',
    })
  })
})
