/**
 * The one contract every revocation store passes: token denials until expiry, subject-wide and
 * claim-wide (`sid`, `client_id`) "issued before" marks, all kept for the largest clock tolerance past their expiry (a token is
 * accepted that long), then forgotten, exact matching and argument checks.
 * Each adapter's test file calls {@link revocationStoreContract} with a factory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Invalidation, InvalidationSource } from '../../src/stores/invalidation.js'
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
  /**
   * A second instance over the same backend (another process would open the same), with the
   * invalidation source it offers caches; absent for a store that is not shared.
   */
  peer?(): Promise<{ store: RevocationStore; invalidations?: InvalidationSource | undefined }>
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

    const claimsOf = (claims: Record<string, unknown>) => ({ subject: 'alice', claims })

    it("revokes one session by sid, leaving the subject's other sessions alone", async () => {
      await store.revokeClaim!('sid', 's-1', now, 600)
      const query = (sid: unknown, issuedAt: number) => ({
        subject: 'alice',
        issuedAt,
        claims: { sub: 'alice', sid, iat: issuedAt },
      })
      expect(await store.isRevoked(query('s-1', now - 10))).toBe(true)
      expect(await store.isRevoked(query('s-2', now - 10))).toBe(false)
      expect(await store.isRevoked(query('s-1', now))).toBe(false)
      // Only the string value matches; the subject itself is not revoked.
      expect(await store.isRevoked(query(['s-1'], now - 10))).toBe(false)
      expect(await store.isRevoked({ subject: 'alice', issuedAt: now - 10 })).toBe(false)
    })

    it('revokes every token of a client by client_id', async () => {
      await store.revokeClaim!('client_id', 'app-1', now, 600)
      const query = (client: string, sub: string) => ({
        subject: sub,
        issuedAt: now - 1,
        claims: { sub, client_id: client },
      })
      expect(await store.isRevoked(query('app-1', 'alice'))).toBe(true)
      expect(await store.isRevoked(query('app-1', 'bob'))).toBe(true)
      expect(await store.isRevoked(query('app-2', 'alice'))).toBe(false)
      // The value of one claim never matches another.
      expect(await store.isRevoked({ ...query('x', 'bob'), claims: { sid: 'app-1' } })).toBe(false)
    })

    it('denies a token without iat under a claim mark', async () => {
      await store.revokeClaim!('sid', 's-1', now, 600)
      expect(await store.isRevoked(claimsOf({ sid: 's-1' }))).toBe(true)
      expect(await store.isRevoked({ ...claimsOf({ sid: 's-1' }), issuedAt: Number.NaN })).toBe(
        true,
      )
    })

    it('treats revokeClaim("sub") as revokeSubject', async () => {
      await store.revokeClaim!('sub', 'alice', now, 600)
      expect(await store.isRevoked({ subject: 'alice', issuedAt: now - 1 })).toBe(true)
    })

    it.each([
      ['an unknown claim', () => store.revokeClaim!('email', 'a@example.com', now, 60)],
      ['the jti claim', () => store.revokeClaim!('jti', 'j', now, 60)],
      ['an empty value', () => store.revokeClaim!('sid', '', now, 60)],
      ['a numeric value', () => store.revokeClaim!('sid', 1 as unknown as string, now, 60)],
      ['a zero ttl', () => store.revokeClaim!('sid', 's', now, 0)],
    ])('refuses revokeClaim with %s (TypeError), revoking nothing', async (_label, call) => {
      await expect(call()).rejects.toThrow(TypeError)
      const query = { ...claimsOf({ email: 'a@example.com', sid: 's', jti: 'j' }), issuedAt: 1 }
      expect(await store.isRevoked(query)).toBe(false)
    })

    it('never moves a claim mark backwards, in time or in lifetime', async () => {
      await store.revokeClaim!('sid', 's-1', now, 600)
      await store.revokeClaim!('sid', 's-1', now - 300, 1)
      const query = { ...claimsOf({ sid: 's-1' }), issuedAt: now - 10 }
      expect(await store.isRevoked(query)).toBe(true)
      harness.advance(2 + MAX_CLOCK_TOLERANCE)
      expect(await store.isRevoked(query)).toBe(true)
    })

    it.skipIf(options.realTime === true)(
      'keeps a claim mark for its ttl and the largest clock tolerance, then forgets it',
      async () => {
        await store.revokeClaim!('sid', 's-1', now + 10, 1)
        const query = { ...claimsOf({ sid: 's-1' }), issuedAt: now }
        harness.advance(1 + MAX_CLOCK_TOLERANCE - 5)
        expect(await store.isRevoked(query)).toBe(true)
        harness.advance(10)
        expect(await store.isRevoked(query)).toBe(false)
      },
    )

    it('publishes a claim revocation to a second instance', async (context) => {
      if (harness.peer === undefined) return context.skip()
      const peer = await harness.peer()
      const events: Invalidation[] = []
      const stop = peer.invalidations?.subscribe((event) => events.push(event))
      try {
        if (peer.invalidations !== undefined)
          await expect
            .poll(() => peer.invalidations?.connected !== false, { timeout: 5000, interval: 20 })
            .toBe(true)
        await store.revokeClaim!('sid', 's-peer', now, 600)
        if (peer.invalidations !== undefined)
          await expect
            .poll(() => events, { timeout: 3000, interval: 10 })
            .toContainEqual({ type: 'claim', claim: 'sid', value: 's-peer' })
        const query = { ...claimsOf({ sid: 's-peer' }), issuedAt: now - 1 }
        await expect
          .poll(() => peer.store.isRevoked(query).catch(() => 'unavailable'), {
            timeout: 5000,
            interval: 20,
          })
          .toBe(true)
      } finally {
        stop?.()
        await peer.store.close?.()
      }
    })
  })
}
