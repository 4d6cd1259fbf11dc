import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { parseClaims } from '../../src/claims/parse.js'
import { createAuthenticator, isAuthError } from '../../src/index.js'
import type { ZodType } from 'zod'
import { hmacSecret } from '../helpers/keys.js'
import { ISSUER, clock, signHmac } from '../helpers/tokens.js'

describe('parseClaims', () => {
  it('parses a synchronous zod schema without a promise', () => {
    const schema = z.looseObject({ sub: z.string() })
    const claims = parseClaims(schema, { sub: 'alice', extra: 1 })
    expect(claims).not.toBeInstanceOf(Promise)
    expect(claims).toEqual({ sub: 'alice', extra: 1 })
  })

  it('throws ERR_AUTH_CLAIMS_INVALID synchronously for a mismatch', () => {
    const schema = z.object({ sub: z.string() })
    expect(() => parseClaims(schema, { sub: 1 })).toThrow(
      expect.objectContaining({ code: 'ERR_AUTH_CLAIMS_INVALID' }),
    )
  })

  it('falls back to the asynchronous parse for async refinements, and remembers the schema', async () => {
    let calls = 0
    const schema = z.looseObject({
      sub: z.string().refine(async (sub) => {
        calls++
        return sub !== 'mallory'
      }),
    })
    const first = parseClaims(schema, { sub: 'alice' })
    expect(first).toBeInstanceOf(Promise)
    await expect(first).resolves.toEqual({ sub: 'alice' })
    // The synchronous attempt that discovers the async refinement has already called it once.
    expect(calls).toBe(2)
    const second = parseClaims(schema, { sub: 'mallory' })
    expect(second).toBeInstanceOf(Promise)
    await expect(second).rejects.toMatchObject({ code: 'ERR_AUTH_CLAIMS_INVALID' })
    expect(calls).toBe(3)
  })

  it('uses the asynchronous API for schema objects that are not zod 4', async () => {
    const foreign = {
      safeParseAsync: (value: unknown) => Promise.resolve({ success: true, data: value }),
    } as unknown as ZodType
    const claims = parseClaims(foreign, { sub: 'alice' })
    expect(claims).toBeInstanceOf(Promise)
    await expect(claims).resolves.toEqual({ sub: 'alice' })
  })
})

describe('an asynchronous claims schema in the authenticator', () => {
  const gate = createAuthenticator({
    issuers: [
      {
        issuer: ISSUER,
        key: { secret: hmacSecret, encoding: 'utf8' },
        claims: z.looseObject({
          sub: z.string().refine(async (sub) => sub !== 'mallory', 'blocked'),
        }),
      },
    ],
    clock,
  })

  it('accepts a token whose claims pass, and rejects one whose claims fail', async () => {
    await expect(
      gate.authenticate({ headers: { authorization: `Bearer ${await signHmac()}` } }),
    ).resolves.toMatchObject({ subject: 'alice' })
    const blocked = await signHmac({ claims: { sub: 'mallory' } })
    const error = await gate
      .authenticate({ headers: { authorization: `Bearer ${blocked}` } })
      .catch((e: unknown) => e)
    expect(isAuthError(error) && error.code).toBe('ERR_AUTH_CLAIMS_INVALID')
  })
})
