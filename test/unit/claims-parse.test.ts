import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import request from 'supertest'
import { z } from 'zod'
import * as z3 from 'zod/v3'
import { asClaimsSchema, parseClaims } from '../../src/claims/parse.js'
import type { StandardSchemaV1 } from '../../src/claims/parse.js'
import { createAuthenticator, isAuthError } from '../../src/index.js'
import type { AuthError } from '../../src/index.js'
import { createTestApp } from '../helpers/app.js'
import { expectRejected } from '../http/expect.js'
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

  it('parses a zod schema older than 3.24 (no ~standard) through its asynchronous API', async () => {
    const foreign = {
      safeParseAsync: (value: unknown) => Promise.resolve({ success: true, data: value }),
    }
    const claims = parseClaims(asClaimsSchema(foreign)!, { sub: 'alice' })
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

/** The app's own zod: the CommonJS build is a second copy, with classes of its own. */
const appZod = createRequire(import.meta.url)('zod') as typeof z

async function serve(schema: StandardSchemaV1, claims: Record<string, unknown> = {}) {
  const t = createTestApp(
    {
      issuers: [{ issuer: ISSUER, key: { secret: hmacSecret, encoding: 'utf8' }, claims: schema }],
      clock,
    },
    { errorHandler: true },
  )
  const token = await signHmac({ claims })
  const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
  return { res, t }
}

/** A Standard Schema written by hand, as valibot or arktype would hand one over. */
function handWritten(async: boolean): StandardSchemaV1<{ sub: string; tenant: string }> {
  const validate = (value: unknown) => {
    const claims = value as Record<string, unknown>
    if (typeof claims.tenant === 'string' && claims.tenant.startsWith('t-')) {
      return { value: { sub: String(claims.sub), tenant: claims.tenant } }
    }
    return { issues: [{ message: 'must start with t-', path: [{ key: 'tenant' }] }] }
  }
  return {
    '~standard': {
      version: 1,
      vendor: 'hand',
      validate: async ? (value) => Promise.resolve(validate(value)) : validate,
    },
  }
}

describe('claims schemas from any validation library (Standard Schema)', () => {
  it('runs an async schema built with the app’s own zod copy (no 500)', async () => {
    const schema = appZod.looseObject({
      sub: appZod.string().refine(async (sub) => sub !== 'mallory', 'blocked'),
    })
    const ok = await serve(schema)
    expect(ok.res.status).toBe(200)
    expect(ok.t.ran()).toBe(1)
    const blocked = await serve(schema, { sub: 'mallory' })
    expectRejected(blocked.res, blocked.t, 401, 'ERR_AUTH_CLAIMS_INVALID')
  })

  it('runs a zod 3 schema with an async refinement', async () => {
    const schema = z3.object({ sub: z3.string().refine(async (s) => s !== 'mallory') })
    expect((await serve(schema)).res.status).toBe(200)
    const blocked = await serve(schema, { sub: 'mallory' })
    expectRejected(blocked.res, blocked.t, 401, 'ERR_AUTH_CLAIMS_INVALID')
  })

  it.each([false, true])('runs a hand-written Standard Schema (async: %s)', async (async) => {
    const ok = await serve(handWritten(async), { tenant: 't-1' })
    expect(ok.res.status).toBe(200)
    expect(ok.res.body.auth.claims).toEqual({ sub: 'alice', tenant: 't-1' })
    const bad = await serve(handWritten(async), { tenant: 'x' })
    expectRejected(bad.res, bad.t, 401, 'ERR_AUTH_CLAIMS_INVALID')
  })

  it('keeps the synchronous fast path for a synchronous Standard Schema', () => {
    const claims = parseClaims(handWritten(false), { sub: 'a', tenant: 't-2' })
    expect(claims).not.toBeInstanceOf(Promise)
  })

  it('refuses at start-up an object that is no schema', () => {
    expect(() =>
      createAuthenticator({
        issuers: [
          { issuer: ISSUER, key: { secret: hmacSecret, encoding: 'utf8' }, claims: {} as never },
        ],
      }),
    ).toThrow(expect.objectContaining({ option: 'issuers[0].claims' }))
  })
})

describe('a schema mismatch names the failing claims, never their values', () => {
  const schema = z.looseObject({
    sub: z.string(),
    tenant: z.enum(['acme', 'hpc']),
    'https://example.com/level': z.number().max(3),
    groups: z.array(z.string()),
  })
  const secretish = 'Sup3rPrivate-tenant'

  it('lists path and expectation on error.issues, and keeps message and challenge generic', async () => {
    const token = await signHmac({
      claims: { tenant: secretish, 'https://example.com/level': 9, groups: ['a', 7] },
    })
    const gate = createAuthenticator({
      issuers: [{ issuer: ISSUER, key: { secret: hmacSecret, encoding: 'utf8' }, claims: schema }],
      clock,
    })
    const error = await Promise.resolve()
      .then(() => gate.authenticate({ headers: { authorization: `Bearer ${token}` } }))
      .catch((e: unknown) => e)
    expect(isAuthError(error) && error.code).toBe('ERR_AUTH_CLAIMS_INVALID')
    const authError = error as AuthError
    expect(authError.message).toBe('claims do not match the schema')
    expect(authError.issues?.map((i) => i.path)).toEqual([
      ['tenant'],
      ['https://example.com/level'],
      ['groups', 1],
    ])
    for (const issue of authError.issues ?? []) expect(issue.message).not.toBe('')
    const seen = JSON.stringify({ issues: authError.issues, headers: authError.headers })
    expect(seen).not.toContain(secretish)
    expect(authError.cause).toBeUndefined()
    expect(authError.headers['WWW-Authenticate']).toContain('claims do not match the schema')
  })

  it('masks a claim value that a schema message quotes', async () => {
    const quoting: StandardSchemaV1 = {
      '~standard': {
        version: 1,
        vendor: 'quoting',
        validate: (value) => ({
          issues: [
            {
              message: `expected one of 'a' | 'b', received '${(value as { tenant: string }).tenant}'`,
              path: ['tenant'],
            },
          ],
        }),
      },
    }
    const error = await Promise.resolve()
      .then(() => parseClaims(quoting, { tenant: secretish }))
      .catch((e: unknown) => e as AuthError)
    expect(error).toMatchObject({ code: 'ERR_AUTH_CLAIMS_INVALID' })
    expect((error as AuthError).issues?.[0]?.message).toBe(
      "expected one of 'a' | 'b', received '<claim value>'",
    )
  })

  it('masks the value in zod 3 messages that quote it', async () => {
    const schema = z3.object({ sub: z3.string(), tenant: z3.enum(['acme', 'hpc']) })
    const error = (await Promise.resolve()
      .then(() => parseClaims(schema, { sub: 'a', tenant: secretish }))
      .catch((e: unknown) => e)) as AuthError
    expect(error.issues?.[0]?.path).toEqual(['tenant'])
    expect(error.issues?.[0]?.message).toContain('<claim value>')
    expect(JSON.stringify(error.issues)).not.toContain(secretish)
  })
})
