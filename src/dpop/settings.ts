/**
 * The resolved `dpop` option: what the request path reads, prepared once at start-up.
 *
 * @module
 */
import type { DpopChallenge } from '../challenge.js'
import type { ReplayStore } from '../stores/types.js'
import type { NonceIssuer } from './nonce.js'
import type { ProofKeys } from './proof-keys.js'

/** The `dpop` option, resolved. Times in seconds unless named otherwise. */
export interface DpopSettings {
  readonly mode: 'allowed' | 'required'
  readonly replayStore: ReplayStore
  /** The public origin, normalised (see `origin.ts`). */
  readonly origin: string
  readonly algorithms: ReadonlySet<string>
  /** The accepted algorithms in the order configured (challenge `algs`, metadata). */
  readonly algorithmList: readonly string[]
  readonly iatWindow: number
  readonly nonces: NonceIssuer | undefined
  readonly keys: ProofKeys
  readonly challenge: DpopChallenge
  /** Milliseconds a replay-store call may take before the request gets a 503. */
  readonly storeTimeout: number
}
