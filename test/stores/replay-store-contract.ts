/**
 * The one contract every replay store passes: a key is new once, a replay until it expires
 * (whichever instance sees it), an expired key blocks nothing, concurrent presentations of one
 * key across instances yield exactly one `true`, and wrong arguments reject instead of answering.
 * test/stores/replay.test.ts calls {@link replayStoreContract} for each adapter.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ReplayStore } from '../../src/stores/types.js'

/** Fresh stores over one backend, and the backend's notion of time. */
export interface ReplayStoreHarness {
  /** Two instances sharing one backend (one store twice, for a store that cannot be shared). */
  stores: [ReplayStore, ReplayStore]
  /** The time, in seconds, the backend judges expiry by (Redis's, PostgreSQL's, the clock's). */
  now(): Promise<number>
  /** Moves a controllable clock forward; absent for a backend with its own clock. */
  advance?: (seconds: number) => void
  cleanup(): Promise<void>
}

/** Registers the replay store contract for one adapter. */
export function replayStoreContract(
  name: string,
  factory: () => Promise<ReplayStoreHarness>,
  options: {
    skip?: boolean
    /** The backend expires keys by its own clock, which the test cannot move: no expiry test. */
    ownClock?: boolean
  } = {},
): void {
  describe.skipIf(options.skip === true)(`replay store contract: ${name}`, () => {
    let harness: ReplayStoreHarness
    let a: ReplayStore
    let b: ReplayStore
    let now: number
    beforeEach(async () => {
      harness = await factory()
      ;[a, b] = harness.stores
      now = Math.floor(await harness.now())
    })
    afterEach(async () => {
      await harness.cleanup()
    })

    it('answers true for a new key, then false for it on every instance until it expires', async () => {
      expect(await a.remember('jti-1', now + 60)).toBe(true)
      expect(await a.remember('jti-1', now + 60)).toBe(false)
      expect(await b.remember('jti-1', now + 600)).toBe(false)
      expect(await b.remember('jti-2', now + 60)).toBe(true)
    })

    it('matches keys exactly, whatever their length or content', async () => {
      const long = 'x'.repeat(100_000)
      const keys = ['k', 'K', 'k ', long, long.slice(1), 'é', 'e\u0301', 'a:b', '\0', '__proto__']
      for (const key of keys) expect(await a.remember(key, now + 60)).toBe(true)
      for (const key of keys) expect(await b.remember(key, now + 60)).toBe(false)
    })

    it('lets a key recorded with an expiry already past block nothing', async () => {
      expect(await a.remember('stale', now - 5)).toBe(true)
      expect(await b.remember('stale', now - 1)).toBe(true)
      expect(await b.remember('stale', now + 60)).toBe(true)
      expect(await a.remember('stale', now + 60)).toBe(false)
    })

    // Registered only where the test moves the clock: elsewhere it could not fail.
    if (options.ownClock !== true) {
      it('forgets a key once its expiry passes, not before', async () => {
        const advance = harness.advance!
        expect(await a.remember('brief', now + 10)).toBe(true)
        advance(9)
        expect(await b.remember('brief', now + 20)).toBe(false)
        advance(2)
        expect(await b.remember('brief', now + 20)).toBe(true)
        expect(await a.remember('brief', now + 20)).toBe(false)
      })
    }

    it('answers true exactly once when instances present one key at once', async () => {
      for (const [key, earlier] of [
        ['race-new', undefined],
        ['race-expired', now - 5],
      ] as const) {
        if (earlier !== undefined) expect(await a.remember(key, earlier)).toBe(true)
        const answers = await Promise.all(
          Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? a : b).remember(key, now + 60)),
        )
        expect(answers.filter((answer) => answer)).toHaveLength(1)
      }
    })

    it('rejects wrong arguments instead of answering, and records nothing', async () => {
      const bad: [unknown, unknown][] = [
        ['', now + 60],
        [42, now + 60],
        [undefined, now + 60],
        ['ok', Number.NaN],
        ['ok', Infinity],
        ['ok', '123'],
        ['ok', 0],
      ]
      for (const [key, expiresAt] of bad) {
        const answer = (a.remember as (k: unknown, e: unknown) => Promise<boolean>)(key, expiresAt)
        await expect(answer).rejects.toThrow(TypeError)
      }
      expect(await a.remember('ok', now + 60)).toBe(true)
    })
  })
}
