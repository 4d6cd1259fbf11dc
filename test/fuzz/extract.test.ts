/**
 * Property: for any headers, raw header lines and cookie jars, token extraction either finds a
 * token that really is the request's bearer token or token cookie, or rejects with a jwt-gate
 * 400/401 — never another error.
 */
import { parse as parseCookies } from 'cookie'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isAuthError } from '../../src/index.js'
import type { AuthRequest } from '../../src/pipeline/authenticator.js'
import { extractToken } from '../../src/request/extract.js'
import type { ExtractionPolicy } from '../../src/request/extract.js'
import {
  FUZZ_TIMEOUT,
  authorization,
  cookieJar,
  fuzzOptions,
  junk,
  tokenLike,
} from './helpers/arbitraries.js'

const policies: [string, ExtractionPolicy][] = [
  [
    'header only',
    { sources: ['header'], cookie: undefined, conflict: 'reject', extractToken: undefined },
  ],
  [
    'header and cookie, reject conflicts',
    {
      sources: ['header', 'cookie'],
      cookie: { name: 'access_token', signed: false },
      conflict: 'reject',
      extractToken: undefined,
    },
  ],
  [
    'cookie first, signed, prefer cookie',
    {
      sources: ['cookie', 'header'],
      cookie: { name: 'access_token', signed: true },
      conflict: 'prefer-cookie',
      extractToken: undefined,
    },
  ],
]

const request = fc.record({
  authorization: fc.oneof(
    fc.constant(undefined),
    authorization,
    fc.array(authorization, { minLength: 2, maxLength: 2 }),
  ),
  extraLines: fc.nat({ max: 2 }),
  cookieHeader: fc.oneof(
    fc.constant(undefined),
    junk,
    tokenLike.map((t) => `access_token=${t}`),
  ),
  cookies: cookieJar,
  signedCookies: fc.oneof(fc.constant(undefined), cookieJar, fc.constant({ access_token: false })),
})

type RequestInput = typeof request extends fc.Arbitrary<infer T> ? T : never

function toRequest(input: RequestInput): AuthRequest {
  const headers: AuthRequest['headers'] = {}
  const rawHeaders: string[] = []
  if (input.authorization !== undefined) {
    headers.authorization = input.authorization
    for (const value of [input.authorization].flat()) rawHeaders.push('Authorization', value)
    for (let i = 0; i < input.extraLines; i++) rawHeaders.push('authorization', 'Bearer x')
  }
  if (input.cookieHeader !== undefined) {
    headers.cookie = input.cookieHeader
    rawHeaders.push('Cookie', input.cookieHeader)
  }
  return {
    headers,
    rawHeaders,
    cookies: input.cookies,
    ...(input.signedCookies === undefined ? {} : { signedCookies: input.signedCookies }),
  }
}

describe.each(policies)('extractToken fuzzing [%s]', (_name, policy) => {
  it(
    'finds the real bearer token or cookie, or rejects with a 400/401 AuthError',
    async () => {
      await fc.assert(
        fc.asyncProperty(request, async (input) => {
          const req = toRequest(input)
          let found: Awaited<ReturnType<typeof extractToken>>
          try {
            found = await extractToken(req, policy)
          } catch (error) {
            expect(isAuthError(error), String(error)).toBe(true)
            expect([400, 401]).toContain((error as { status: number }).status)
            return
          }
          if (found === undefined) return
          expect(typeof found.token).toBe('string')
          expect(found.token).not.toBe('')
          if (found.source === 'header') {
            const value = req.headers.authorization
            expect(typeof value).toBe('string')
            expect(req.rawHeaders?.filter((h) => h.toLowerCase() === 'authorization')).toHaveLength(
              1,
            )
            expect(found.token).not.toMatch(/[\s,]/)
            expect((value as string).toLowerCase().startsWith('bearer ')).toBe(true)
            expect((value as string).endsWith(found.token)).toBe(true)
          } else {
            expect(found.source).toBe('cookie')
            // Signed cookies come from cookie-parser; unsigned ones from the raw header, read as
            // cookie-parser's parser reads it (parsed cookies only stand in when there is none).
            const header = req.headers.cookie
            const jar =
              policy.cookie?.signed === true
                ? req.signedCookies
                : header === undefined
                  ? req.cookies
                  : parseCookies([header].flat().join(';'))
            expect(jar !== undefined && Object.hasOwn(jar, 'access_token')).toBe(true)
            expect(jar?.access_token).toBe(found.token)
          }
        }),
        fuzzOptions(),
      )
    },
    FUZZ_TIMEOUT,
  )
})
