/**
 * Property: for any token-shaped string, the compact-form gate either returns a header and payload
 * that are exactly the canonical decoding of the token's segments (JSON objects, a usable `alg`, no
 * refused parameter), or throws a jwt-gate 401 — never another error.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isAuthError } from '../../src/index.js'
import { decodeCompact } from '../../src/jws/compact.js'
import {
  FUZZ_TIMEOUT,
  fuzzOptions,
  mutatedToken,
  segmentsToken,
  signedToken,
  tokenLike,
} from './helpers/arbitraries.js'

const MAX = 8192

let passes = 0

function check(token: string): void {
  let decoded: ReturnType<typeof decodeCompact>
  try {
    decoded = decodeCompact(token, MAX)
  } catch (error) {
    expect(isAuthError(error), String(error)).toBe(true)
    expect((error as { status: number }).status).toBe(401)
    return
  }
  const segments = token.split('.')
  expect(segments).toHaveLength(3)
  for (const segment of segments) expect(segment).toMatch(/^[A-Za-z0-9_-]+$/)
  const [h, p] = segments as [string, string, string]
  expect(Buffer.from(JSON.stringify(decoded.header)).toString('base64url').length).toBeGreaterThan(
    0,
  )
  // Canonical: the segments are exactly the base64url of the bytes that were parsed.
  expect(Buffer.from(Buffer.from(h, 'base64url').toString('base64url'))).toEqual(Buffer.from(h))
  expect(JSON.parse(Buffer.from(h, 'base64url').toString('utf8'))).toEqual(decoded.header)
  expect(JSON.parse(Buffer.from(p, 'base64url').toString('utf8'))).toEqual(decoded.payload)
  expect(typeof decoded.header.alg).toBe('string')
  expect(decoded.header.alg.toLowerCase()).not.toBe('none')
  for (const refused of ['crit', 'b64', 'zip', 'enc'])
    expect(decoded.header).not.toHaveProperty(refused)
  expect(Array.isArray(decoded.payload)).toBe(false)
  expect(Object.getPrototypeOf(decoded.payload)).toBe(Object.prototype)
  expect(Object.hasOwn(decoded.payload, '__proto__')).toBe(false)
  passes++
}

describe('decodeCompact fuzzing', () => {
  for (const [name, arbitrary] of [
    ['any token-shaped string', tokenLike],
    ['validly signed tokens with fuzzed headers and claims', signedToken],
    ['single-character mutations of signed tokens', mutatedToken],
    ['segments of arbitrary JSON and bytes', segmentsToken],
  ] as const) {
    it(
      `${name}: decodes canonically or throws a 401 AuthError`,
      () => {
        passes = 0
        fc.assert(fc.property(arbitrary, check), fuzzOptions())
        // The signed generator reaches the accepting side, so the invariants above were exercised.
        if (arbitrary === signedToken) expect(passes).toBeGreaterThan(0)
      },
      FUZZ_TIMEOUT,
    )
  }
})
