/**
 * `check-config --env`: the example app's back-channel logout variables
 * (`example-app/app/logout.ts`). `JWT_BACKCHANNEL_LOGOUT=true` needs `JWT_CLIENT_ID`, and
 * `JWT_CLIENT_ID` without it (or introspection, whose default client id it is) is refused; the in-memory revocation store is warned about (one
 * process). Values are never echoed.
 *
 * @module
 */
import { boolean, read, type Env } from './env-values.js'
import type { ProblemList } from './problems.js'

/** The variables this file checks (for the list of known `JWT_*` variables). */
export const LOGOUT_VARIABLES = ['JWT_BACKCHANNEL_LOGOUT', 'JWT_CLIENT_ID'] as const

/** Checks the back-channel logout variables; each problem names its variable. */
export function checkBackchannelLogout(env: Env, problems: ProblemList): void {
  const enabled = boolean(env, 'JWT_BACKCHANNEL_LOGOUT', problems)
  const clientId = read(env, 'JWT_CLIENT_ID')
  if (enabled !== true) {
    if (clientId !== undefined && read(env, 'JWT_INTROSPECTION') !== 'true') {
      problems.error(
        'JWT_CLIENT_ID',
        'is set but neither back-channel logout nor introspection is on ' +
          '(set JWT_BACKCHANNEL_LOGOUT=true or JWT_INTROSPECTION=true)',
      )
    }
    return
  }
  if (clientId === undefined) {
    problems.error(
      'JWT_CLIENT_ID',
      'is required with JWT_BACKCHANNEL_LOGOUT (the client id logout tokens are addressed to)',
    )
  }
  if (read(env, 'REVOCATION_BUS') !== undefined) return
  problems.warning(
    'JWT_BACKCHANNEL_LOGOUT',
    'revokes in memory: a logout reaches this process only; set REVOCATION_BUS for a fleet ' +
      '(docs/logout.md)',
  )
}
