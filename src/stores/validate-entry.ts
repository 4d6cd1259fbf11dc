/**
 * `jwt-gate/stores/validate`: what docs/stores.md gives the author of a store adapter. The key
 * rule every lookup applies ({@link isUsableKey}), the errors for rows that cannot be trusted, and
 * how long a revocation must last ({@link MAX_CLOCK_TOLERANCE}). The other shape checks in
 * `validate.ts` serve the shipped adapters and stay internal.
 *
 * @module
 */
export {
  InexactUserMatchError,
  MAX_CLOCK_TOLERANCE,
  StoreDataError,
  isUsableKey,
} from './validate.js'
