/**
 * The outcome reports: the `onAuthenticated` and `onRejected` hooks, and the realm a rejection
 * carries into its challenge. A hook observes; it never changes the outcome of a request.
 *
 * @module
 */
import { isAuthError } from '../errors.js'
import type { AuthContext, TokenSource } from '../context/types.js'
import type { ResolvedConfig } from '../options/resolve.js'
import { warnOnce } from '../warnings.js'

/** Calls `onAuthenticated` (if set) and returns the context. */
export function reportAuthenticated<C extends AuthContext>(context: C, config: ResolvedConfig): C {
  if (config.onAuthenticated !== undefined) notify(config.onAuthenticated, context)
  return context
}

/**
 * Sets the realm (and the `resource_metadata` URL) of an `AuthError`, calls `onRejected` (if set), and throws the error on.
 *
 * @param source - where the token came from, when one was found.
 * @param verifiedClaims - the payload once its signature is verified (only then are issuer and
 *   subject authentic, and reported).
 * @param usedDpop - whether the request used the DPoP scheme (its challenge then carries the error).
 */
export function reportRejection(
  config: ResolvedConfig,
  error: unknown,
  source: TokenSource | undefined,
  verifiedClaims: Readonly<Record<string, unknown>> | undefined,
  usedDpop = false,
): never {
  if (isAuthError(error)) {
    error.realm = config.realm
    error.resourceMetadata = config.protectedResource?.metadataUrl
    if (config.dpop !== undefined) error.dpop = { challenge: config.dpop.challenge, used: usedDpop }
    if (config.onRejected !== undefined) {
      notify(config.onRejected, {
        code: error.code,
        status: error.status,
        issuer: typeof verifiedClaims?.iss === 'string' ? verifiedClaims.iss : undefined,
        subject: typeof verifiedClaims?.sub === 'string' ? verifiedClaims.sub : undefined,
        source,
        cause: error.status >= 500 ? error.cause : undefined,
      })
    }
  }
  throw error
}

/**
 * Observability hooks must never change the outcome of a request, nor end the process: a hook
 * that throws, or an async hook whose promise rejects, is reported once and otherwise ignored.
 */
function notify<E>(hook: (event: E) => unknown, event: E): void {
  try {
    const outcome = hook(event)
    // An async hook's rejection would otherwise be unhandled, which ends a Node process.
    if (isThenable(outcome)) outcome.then(undefined, reportHookFailure)
  } catch (error) {
    reportHookFailure(error)
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

function reportHookFailure(error: unknown): void {
  warnOnce(
    'JWT_GATE_HOOK_FAILED',
    `jwt-gate: an onAuthenticated/onRejected hook failed: ${error instanceof Error ? error.name : 'error'}`,
    'Warning',
  )
}
