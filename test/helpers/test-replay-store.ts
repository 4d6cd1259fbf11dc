/**
 * The real memory replay store (`jwt-gate/stores/memory`) behind a switch that takes it down, for
 * the DPoP tests' "store down: 503" case; the stores' own faults (Redis, PostgreSQL) are in
 * test/faults/replay-stores.test.ts.
 */
import type { ReplayStore } from '../../src/index.js'
import { createMemoryReplayStore } from '../../src/stores/memory-replay.js'

export class SwitchableReplayStore implements ReplayStore {
  readonly #store: ReplayStore
  /** When set, every call rejects: the store is down. */
  down = false

  constructor(nowSeconds: () => number = () => Date.now() / 1000) {
    this.#store = createMemoryReplayStore({ clock: () => new Date(nowSeconds() * 1000) })
  }

  remember(key: string, expiresAt: number): Promise<boolean> {
    if (this.down) return Promise.reject(new Error('replay store down'))
    return this.#store.remember(key, expiresAt)
  }
}
