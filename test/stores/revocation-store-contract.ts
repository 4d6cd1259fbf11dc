/**
 * The one contract every revocation store passes: token denials until expiry, subject-wide
 * "issued before" marks, both kept for the largest clock tolerance past their expiry (a token is
 * accepted that long), then forgotten, exact matching and argument checks.
 * Each adapter's test file calls {@link revocationStoreContract} with a factory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { RevocationStore } from '../../src/stores/types.js'
import { MAX_CLOCK_TOLERANCE } from '../../src/stores/validate.js'

/** A fresh store and its notion of time. */
export interface RevocationStoreHarness {
  store: RevocationStore
  /** The store's current time in seconds. */
  now(): number
  /**
   * Moves the store's clock forward (a controllable clock), or does nothing for a store whose
   * entries expire in real time (then the test polls, bounded).
   */
  advance(seconds: number): void
  cleanup(): Promise<void>
}

/** Creates a fresh store for one test. */
export type RevocationStoreFactory = () => Promise<RevocationStoreHarness>

/**
 * Registers the revocation store contract for one adapter. `realTime`: the store expires entries
 * on a clock the test cannot move, so checks that need minutes to pass are left out (the adapter's
 * own tests check the expiry it sets).
 */
export function revocationStoreContract(
  name: string,
  factory: RevocationStoreFactory,
  options: { skip?: boolean; realTime?: boolean } = {},
): void {
  describe.skipIf(options.skip === true)(`revocation store contract: ${name}`, () => {
    let harness: RevocationStoreHarness
    let store: RevocationStore
    let now: number
    beforeEach(async () => {
      harness = await factory()
      store = harness.store
      now = Math.floor(harness.now())
    })
    afterEach(async () => {
      await harness.cleanup()
    })

    it('revokes nothing by default', async () => {
      expect(await store.isRevoked({ subject: 'alice', jti: 'j1', issuedAt: now })).toBe(false)
      expect(await store.isRevoked({ subject: 'alice' })).toBe(false)
    })

    it('denies a jti until its expiry, whatever the subject', async () => {
      await store.revokeToken('j1', now + 600)
      expect(await store.isRevoked({ subject: 'alice', jti: 'j1', issuedAt: now })).toBe(true)
      expect(await store.isRevoked({ subject: 'bob', jti: 'j1' })).toBe(true)
      expect(await store.isRevoked({ subject: 'alice', jti: 'j2', issuedAt: now })).toBe(false)
      expect(await store.isRevoked({ subject: 'alice', issuedAt: now })).toBe(false)
    })

    it('denies a token revoked after its expiry while a clock tolerance can still accept it', async () => {
      await store.revokeToken('late', now - 10)
      expect(await store.isRevoked({ subject: 'alice', jti: 'late' })).toBe(true)
    })

    it('keeps a denial past the expiry, for the largest clock tolerance', async () => {
      await store.revokeToken('kept', now + 1)
      harness.advance(2)
      expect(await store.isRevoked({ subject: 'alice', jti: 'kept' })).toBe(true)
      harness.advance(MAX_CLOCK_TOLERANCE - 10)
      expect(await store.isRevoked({ subject: 'alice', jti: 'kept' })).toBe(true)
    })

    it('ignores a denial that no clock tolerance can need any more', async () => {
      await store.revokeToken('old', now - MAX_CLOCK_TOLERANCE - 1)
      expect(await store.isRevoked({ subject: 'alice', jti: 'old' })).toBe(false)
    })

    it('forgets a denial once no clock tolerance can accept the token', async () => {
      await store.revokeToken('short', now - MAX_CLOCK_TOLERANCE + 2)
      expect(await store.isRevoked({ subject: 'alice', jti: 'short' })).toBe(true)
      harness.advance(3)
      await expect
        .poll(() => store.isRevoked({ subject: 'alice', jti: 'short' }), {
          timeout: 4500,
          interval: 100,
        })
        .toBe(false)
    })

    it('revokes every token of a subject issued before the mark, and no later one', async () => {
      await store.revokeSubject('alice', now, 600)
      expect(await store.isRevoked({ subject: 'alice', issuedAt: now - 100 })).toBe(true)
      expect(await store.isRevoked({ subject: 'alice', issuedAt: now - 1, jti: 'x' })).toBe(true)
      expect(await store.isRevoked({ subject: 'alice', issuedAt: now })).toBe(false)
      expect(await store.isRevoked({ subject: 'alice', issuedAt: now + 5 })).toBe(false)
      expect(await store.isRevoked({ subject: 'bob', issuedAt: now - 100 })).toBe(false)
    })

    it('treats a token without iat as issued before a subject mark', async () => {
      await store.revokeSubject('alice', now, 600)
      expect(await store.isRevoked({ subject: 'alice' })).toBe(true)
      expect(await store.isRevoked({ subject: 'alice', jti: 'j9' })).toBe(true)
    })

    it('never moves a subject mark backwards', async () => {
      await store.revokeSubject('alice', now, 600)
      await store.revokeSubject('alice', now - 300, 600)
      expect(await store.isRevoked({ subject: 'alice', issuedAt: now - 10 })).toBe(true)
    })

    it('keeps a subject mark past its ttl, for the largest clock tolerance', async () => {
      await store.revokeSubject('alice', now + 10, 1)
      expect(await store.isRevoked({ subject: 'alice', issuedAt: now })).toBe(true)
      harness.advance(2)
      expect(await store.isRevoked({ subject: 'alice', issuedAt: now })).toBe(true)
      harness.advance(MAX_CLOCK_TOLERANCE - 10)
      expect(await store.isRevoked({ subject: 'alice', issuedAt: now })).toBe(true)
    })

    it.skipIf(options.realTime === true)(
      'forgets a subject mark after its ttl and the largest clock tolerance',
      async () => {
        await store.revokeSubject('alice', now + 10, 1)
        harness.advance(1 + MAX_CLOCK_TOLERANCE + 1)
        expect(await store.isRevoked({ subject: 'alice', issuedAt: now })).toBe(false)
      },
    )

    it('matches jti and subject exactly', async () => {
      await store.revokeToken('abc', now + 600)
      await store.revokeSubject('alice', now, 600)
      for (const jti of ['ABC', 'abc ', ' abc', 'ab', 'abcd', 'abc\0', 'a%', '*']) {
        expect(await store.isRevoked({ subject: 'zed', jti, issuedAt: now - 1 })).toBe(false)
      }
      for (const subject of ['Alice', 'alice ', 'ALICE', 'alic', 'alice\0', '*', '%']) {
        expect(await store.isRevoked({ subject, issuedAt: now - 1 })).toBe(false)
      }
    })

    it('never matches prototype names or non-string values', async () => {
      await store.revokeToken('1', now + 600)
      for (const value of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
        expect(await store.isRevoked({ subject: value, jti: value, issuedAt: now })).toBe(false)
      }
      for (const jti of [1, ['1'], { toString: () => '1' }, null]) {
        expect(
          await store.isRevoked({ subject: 'zed', jti: jti as unknown as string, issuedAt: now }),
        ).toBe(false)
      }
    })

    it.each([
      ['an empty jti', () => store.revokeToken('', now + 60)],
      ['a numeric jti', () => store.revokeToken(1 as unknown as string, now + 60)],
      ['a NaN expiry', () => store.revokeToken('j', Number.NaN)],
      ['an empty subject', () => store.revokeSubject('', now, 60)],
      ['a NaN time', () => store.revokeSubject('s', Number.NaN, 60)],
      ['a zero ttl', () => store.revokeSubject('s', now, 0)],
      ['a fractional ttl', () => store.revokeSubject('s', now, 1.5)],
    ])('rejects %s with a TypeError', async (_label, call) => {
      await expect(call()).rejects.toThrow(TypeError)
    })
  })
}
