/**
 * Property: registered-claim validation either accepts claims that really satisfy every rule
 * (exact issuer, a listed audience, a non-empty string subject, finite NumericDates inside the
 * window) or throws a jwt-gate 401 — never another error, whatever JSON the claims hold.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isAuthError } from '../../src/index.js'
import { checkRegisteredClaims } from '../../src/claims/registered.js'
import type { RegisteredClaimPolicy } from '../../src/claims/registered.js'
import { ISSUER, NOW_S } from '../helpers/tokens.js'
import { AUDIENCE } from '../attacks/helpers/targets.js'
import { FUZZ_TIMEOUT, claims, fuzzOptions, jsonValue } from './helpers/arbitraries.js'

const policy = fc.record({
  issuer: fc.constantFrom(ISSUER, null),
  audience: fc.constantFrom(undefined, new Set([AUDIENCE]), new Set([AUDIENCE, 'api://two'])),
  clockTolerance: fc.constantFrom(0, 5, 300),
  maxTokenAge: fc.constantFrom(undefined, 60, 3600),
  requireExpiry: fc.boolean(),
})

const payload = fc.oneof(
  claims.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined))),
  fc.dictionary(fc.constantFrom('iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'x'), jsonValue),
)

function isDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= 8.64e12
}

describe('checkRegisteredClaims fuzzing', () => {
  it(
    'passes only claims that satisfy every rule, else throws a 401 AuthError',
    () => {
      let passes = 0
      fc.assert(
        fc.property(
          payload,
          policy,
          fc.integer({ min: NOW_S - 100, max: NOW_S + 100 }),
          (p, rules, now) => {
            const resolved = rules as RegisteredClaimPolicy
            try {
              checkRegisteredClaims(p, resolved, now)
            } catch (error) {
              expect(isAuthError(error), String(error)).toBe(true)
              expect((error as { status: number }).status).toBe(401)
              return
            }
            const tolerance = resolved.clockTolerance
            if (resolved.issuer === null) expect(p.iss).toBeUndefined()
            else expect(p.iss).toBe(resolved.issuer)
            expect(typeof p.sub === 'string' && p.sub !== '').toBe(true)
            if (resolved.requireExpiry) expect(isDate(p.exp)).toBe(true)
            if (p.exp !== undefined) expect(isDate(p.exp) && p.exp > now - tolerance).toBe(true)
            if (p.nbf !== undefined) expect(isDate(p.nbf) && p.nbf <= now + tolerance).toBe(true)
            if (p.iat !== undefined) expect(isDate(p.iat) && p.iat <= now + tolerance).toBe(true)
            if (resolved.maxTokenAge !== undefined) {
              expect(isDate(p.iat) && now - p.iat <= resolved.maxTokenAge + tolerance).toBe(true)
            }
            if (resolved.audience !== undefined) {
              const list = typeof p.aud === 'string' ? [p.aud] : (p.aud as unknown[])
              expect(Array.isArray(list) && list.every((a) => typeof a === 'string')).toBe(true)
              expect(list.some((a) => resolved.audience!.has(a as string))).toBe(true)
            }
            if (p.jti !== undefined) expect(typeof p.jti === 'string' && p.jti !== '').toBe(true)
            passes++
          },
        ),
        fuzzOptions(),
      )
      // The generators reach the accepting side too, so the invariants above were exercised.
      expect(passes).toBeGreaterThan(0)
    },
    FUZZ_TIMEOUT,
  )
})
