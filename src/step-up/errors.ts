/**
 * The step-up error (RFC 9470), apart from `errors.ts` (which names it in the {@link JwtGateError}
 * union) to keep that file within its size.
 *
 * @module
 */
import { errorChallenge } from '../challenge.js'
import type { StepUpChallenge } from '../challenge.js'
import { AuthError } from '../errors.js'
import type { AuthErrorOptions, JwtGateError } from '../errors.js'

export type { JwtGateError, StepUpChallenge }

/**
 * 401 `insufficient_user_authentication` (RFC 9470): the token is valid, but the user's
 * authentication behind it is not strong enough (`acr`) or not recent enough (`auth_time`) for
 * this route. The challenge names what would do (`acr_values`, `max_age`), so the client can send
 * the user back to the authorization server with them and retry with the new token.
 */
export class InsufficientUserAuthenticationError extends AuthError {
  declare readonly code: 'ERR_AUTH_STEP_UP_REQUIRED'
  /** What the challenge asks for (`acr_values`, `max_age`). */
  readonly stepUp: StepUpChallenge

  constructor(message: string, stepUp: StepUpChallenge, options: AuthErrorOptions = {}) {
    super('ERR_AUTH_STEP_UP_REQUIRED', 401, 'insufficient_user_authentication', message, options)
    this.stepUp = Object.freeze({ ...stepUp })
  }

  /** The headers of any error, the challenge with `acr_values` and `max_age` added. */
  override get headers(): Record<string, string> {
    return { ...super.headers, 'WWW-Authenticate': errorChallenge(this, this.stepUp) }
  }
}
