/**
 * A stand-in for the replay helper's memory store (issue 24, point 3), which is not on this
 * branch: the ReplayStore contract in a Map, for the DPoP tests only. Swapped for the real
 * `jwt-gate/stores/memory` replay store at merge.
 */
import type { ReplayStore } from '../../src/index.js'

export class TestOnlyMemoryReplayStore implements ReplayStore {
  readonly keys = new Map<string, number>()
  /** When set, every call rejects: the store is down. */
  down = false

  constructor(private readonly nowSeconds: () => number = () => Date.now() / 1000) {}

  async remember(key: string, expiresAt: number): Promise<boolean> {
    if (this.down) throw new Error('replay store down')
    const until = this.keys.get(key)
    if (until !== undefined && until > this.nowSeconds()) return false
    this.keys.set(key, expiresAt)
    return true
  }
}
