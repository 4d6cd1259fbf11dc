/**
 * Denial-of-service resistance (CWE-400, CWE-1333): no regular expression on attacker input
 * backtracks, deep nesting never escapes as a non-library error, and floods of distinct tokens
 * keep every cache within its bound.
 */
import { describe, expect, it } from 'vitest'
import { createAuthenticator, isAuthError } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'
import { extractToken } from '../../src/request/extract.js'
import { decodeCompact } from '../../src/jws/compact.js'
import { hasDuplicateOrProtoMember } from '../../src/jws/json.js'
import { b64u, forge } from './helpers/forge.js'
import { issuerKeys } from './helpers/keys.js'
import { ISSUER, NOW, NOW_S } from '../helpers/tokens.js'
import { validClaims } from './helpers/targets.js'

/** Generous: linear work on these sizes takes a few ms; backtracking would take minutes. */
const BOUND_MS = 1_000

async function timedAsync(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  try {
    await run()
  } catch (error) {
    if (!isAuthError(error)) throw error
  }
  return performance.now() - started
}

const extraction = {
  sources: ['header', 'cookie'] as const,
  cookie: { name: 'access_token', signed: false },
  conflict: 'reject' as const,
  extractToken: undefined,
}

describe('CWE-1333: regular expressions on attacker input stay linear', () => {
  // Each regex that sees request data, with the input that would hurt a backtracking pattern.
  const cases: [string, () => unknown][] = [
    // extract.ts /[\s,]/: one character class, unanchored, no quantifier.
    [
      'extract: 1 MB token without whitespace',
      () =>
        extractToken(
          { headers: { authorization: `Bearer ${'A'.repeat(1 << 20)}!` }, cookies: {} },
          extraction,
        ),
    ],
    [
      'extract: 1 MB of spaces after the scheme',
      () =>
        extractToken(
          { headers: { authorization: `Bearer${' '.repeat(1 << 20)}x` }, cookies: {} },
          extraction,
        ),
    ],
    [
      'extract: 1 MB Cookie header of near-miss names',
      () =>
        extractToken(
          { headers: { cookie: 'access_tokenx=1;'.repeat(60_000) }, cookies: {} },
          extraction,
        ),
    ],
    // compact.ts decodeSegment: a linear decode and re-encode, failing on the last character.
    [
      'compact: 64 KiB segment ending in an invalid character',
      () => decodeCompact(`${'A'.repeat(65_000)}!.e30.e30`, 65_536),
    ],
    ['compact: 64 KiB of dots', () => decodeCompact('.'.repeat(65_536), 65_536)],
    ['compact: 64 KiB of alternating separators', () => decodeCompact('A.'.repeat(32_768), 65_536)],
    // json.ts: a hand-written single pass, no regex at all.
    [
      'json: 300k escaped characters in one name',
      () => hasDuplicateOrProtoMember(`{"${'\\\\'.repeat(150_000)}":1}`),
    ],
    [
      'json: 20k distinct members',
      () =>
        hasDuplicateOrProtoMember(
          `{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":1`).join(',')}}`,
        ),
    ],
  ]
  for (const [name, run] of cases) {
    it(name, async () => {
      expect(await timedAsync(async () => run())).toBeLessThan(BOUND_MS)
    })
  }
})

const hmacIssuer = (maxTokenLength = 65_536): AuthenticateOptions => ({
  issuers: [{ issuer: ISSUER, key: { secret: issuerKeys.secret, encoding: 'utf8' } }],
  maxTokenLength,
  clock: () => NOW,
})

/** Valid claims plus a member nested `depth` arrays deep, as raw JSON text. */
const nested = (depth: number): string =>
  `${JSON.stringify(validClaims()).slice(0, -1)},"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`

describe('CWE-674: deep nesting', () => {
  it('an unsigned deeply nested payload is refused with a library error, promptly', async () => {
    const gate = createAuthenticator(hmacIssuer())
    const token = forge({
      header: { alg: 'HS256' },
      payload: nested(24_000),
      signature: Buffer.alloc(32),
    })
    const started = performance.now()
    const error: unknown = await gate
      .authenticate({ headers: { authorization: `Bearer ${token}` } })
      .catch((e: unknown) => e)
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(isAuthError(error) && error.status === 401).toBe(true)
  })

  it('a deeply nested header is refused with a library error', async () => {
    const gate = createAuthenticator(hmacIssuer())
    const header = `{"alg":"HS256","x":${'{"a":'.repeat(8_000)}1${'}'.repeat(8_000)}}`
    const token = `${b64u(header)}.${b64u(JSON.stringify(validClaims()))}.${b64u('sig')}`
    const error: unknown = await gate
      .authenticate({ headers: { authorization: `Bearer ${token}` } })
      .catch((e: unknown) => e)
    expect(isAuthError(error) && error.status === 401).toBe(true)
  })

  // Regression: deepFreeze used to recurse once per level, so ~12k levels (possible with
  // maxTokenLength up to 65536) threw RangeError, which Express turned into a 500.
  it.each([
    [
      'a validly signed, deeply nested payload passes or is a 401, never a RangeError',
      65_536,
      20_000,
    ],
    ['with the default token length the deepest possible payload passes or is a 401', 8192, 2_900],
  ])('%s', async (_name, maxLength, depth) => {
    const gate = createAuthenticator(hmacIssuer(maxLength))
    const token = forge({
      header: { alg: 'HS256' },
      payload: nested(depth),
      sign: { alg: 'HS256', key: issuerKeys.secret },
    })
    expect(token.length).toBeLessThanOrEqual(maxLength)
    const outcome: unknown = await gate
      .authenticate({ headers: { authorization: `Bearer ${token}` } })
      .then(
        (auth) => auth?.subject,
        (error: unknown) => error,
      )
    expect(outcome === 'alice' || (isAuthError(outcome) && outcome.status === 401)).toBe(true)
  })

  it('ordinary nesting (a few levels, as in realm_access.roles) passes', async () => {
    const gate = createAuthenticator(hmacIssuer(8192))
    const token = forge({
      header: { alg: 'HS256' },
      payload: {
        ...validClaims(),
        aud: undefined,
        realm_access: { roles: ['user'], meta: { a: [{ b: [1] }] } },
      },
      sign: { alg: 'HS256', key: issuerKeys.secret },
    })
    const auth = await gate.authenticate({ headers: { authorization: `Bearer ${token}` } })
    expect(auth?.subject).toBe('alice')
  })
})

describe('CWE-400: floods keep the verified-token cache bounded', () => {
  const sign = (jti: string): string =>
    forge({
      header: { alg: 'HS256', typ: 'JWT' },
      payload: { ...validClaims(), aud: undefined, jti },
      sign: { alg: 'HS256', key: issuerKeys.secret },
    })

  it('2000 distinct valid tokens, each sent twice, leave at most `cache.max` entries', async () => {
    const gate = createAuthenticator({ ...hmacIssuer(8192), cache: { max: 100 } })
    for (let i = 0; i < 2000; i++) {
      // Twice: the cache admits a token on its second verification.
      const headers = { authorization: `Bearer ${sign(`t${i}`)}` }
      await gate.authenticate({ headers })
      await gate.authenticate({ headers })
      expect(gate.cacheSize).toBeLessThanOrEqual(100)
    }
    expect(gate.cacheSize).toBe(100)
  })

  it('2000 distinct valid tokens, each sent once, take no entry at all', async () => {
    const gate = createAuthenticator({ ...hmacIssuer(8192), cache: { max: 100 } })
    for (let i = 0; i < 2000; i++) {
      await gate.authenticate({ headers: { authorization: `Bearer ${sign(`once${i}`)}` } })
    }
    expect(gate.cacheSize).toBe(0)
  })

  it('2000 distinct invalid tokens leave the cache empty (failures are never cached)', async () => {
    const gate = createAuthenticator({ ...hmacIssuer(8192), cache: { max: 100 } })
    for (let i = 0; i < 2000; i++) {
      const token = `${sign(`t${i}`).slice(0, -4)}AAAA`
      // Twice each: a valid token would be cached on its second verification.
      for (let attempt = 0; attempt < 2; attempt++) {
        await expect(
          gate.authenticate({ headers: { authorization: `Bearer ${token}` } }),
        ).rejects.toMatchObject({ status: 401 })
      }
    }
    expect(gate.cacheSize).toBe(0)
  })

  it('the byte bound holds for large tokens', async () => {
    const gate = createAuthenticator({
      ...hmacIssuer(65_536),
      cache: { max: 10_000, maxBytes: 1 << 20 },
    })
    const pad = 'x'.repeat(30_000)
    for (let i = 0; i < 200; i++) {
      const token = forge({
        header: { alg: 'HS256' },
        payload: { ...validClaims(), jti: `big${i}`, pad },
        sign: { alg: 'HS256', key: issuerKeys.secret },
      })
      await gate.authenticate({ headers: { authorization: `Bearer ${token}` } })
      await gate.authenticate({ headers: { authorization: `Bearer ${token}` } })
    }
    // Each entry is estimated at well over 60 KB, so 1 MiB holds at most 16 of them.
    expect(gate.cacheSize).toBeGreaterThan(0)
    expect(gate.cacheSize).toBeLessThanOrEqual(16)
  })

  it('the clock moving past exp drops a cached token (no stale pass)', async () => {
    let now = NOW
    const gate = createAuthenticator({ ...hmacIssuer(8192), clock: () => now })
    const token = forge({
      header: { alg: 'HS256' },
      payload: { ...validClaims(), aud: undefined, exp: NOW_S + 10 },
      sign: { alg: 'HS256', key: issuerKeys.secret },
    })
    await gate.authenticate({ headers: { authorization: `Bearer ${token}` } })
    await gate.authenticate({ headers: { authorization: `Bearer ${token}` } })
    expect(gate.cacheSize).toBe(1)
    now = new Date(NOW.getTime() + 16_000)
    await expect(
      gate.authenticate({ headers: { authorization: `Bearer ${token}` } }),
    ).rejects.toMatchObject({
      code: 'ERR_AUTH_TOKEN_EXPIRED',
    })
  })
})
