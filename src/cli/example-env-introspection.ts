/**
 * `check-config --env`: the example app's introspection variables (`example-app/app/
 * introspection.ts`), every problem at once. `JWT_INTROSPECTION=true` needs a client id
 * (`JWT_INTROSPECTION_CLIENT_ID`, else `JWT_CLIENT_ID`), `JWT_INTROSPECTION_CLIENT_SECRET`, and
 * `JWT_INTROSPECTION_URL` unless `JWT_DISCOVERY=true` (the URL judged by the library);
 * `JWT_INTROSPECTION_CACHE_TTL` is 0 to 86400 seconds. Without it, its companions are refused.
 * Values are never echoed.
 *
 * @module
 */
import { boolean, httpUrl, integer, read, type Env } from './env-values.js'
import { probeOptions, problemOf, refusal } from './library.js'
import type { ProblemList } from './problems.js'

const COMPANIONS = [
  'JWT_INTROSPECTION_CLIENT_ID',
  'JWT_INTROSPECTION_CLIENT_SECRET',
  'JWT_INTROSPECTION_URL',
  'JWT_INTROSPECTION_CACHE_TTL',
] as const

/** The variables this check reads (for the unknown-variable warning). */
export const INTROSPECTION_VARIABLES = ['JWT_INTROSPECTION', 'JWT_CLIENT_ID', ...COMPANIONS]

/** Why the library refuses the endpoint, without its echo of the value. */
function endpointRefusal(endpoint: string): string | undefined {
  const introspection = { endpoint, clientId: 'probe', clientSecret: 'probe' }
  const key = { jwksUrl: 'https://probe.example/jwks' }
  const refused = refusal(probeOptions(key, { introspection }))
  return refused === undefined ? undefined : problemOf(refused).replace(/ \(got ".*"\)$/s, '')
}

/** Checks the introspection variables; each problem names its variable. */
export function checkIntrospection(
  env: Env,
  context: { discovery: boolean; fromConfig: boolean },
  problems: ProblemList,
): void {
  if (boolean(env, 'JWT_INTROSPECTION', problems) !== true) {
    for (const name of COMPANIONS) {
      if (read(env, name) !== undefined) problems.error(name, 'is set but JWT_INTROSPECTION is off')
    }
    return
  }
  if (context.fromConfig) {
    problems.error('JWT_INTROSPECTION', 'works with JWT_ISSUER, not CONFIG_FILE')
  }
  if (
    read(env, 'JWT_INTROSPECTION_CLIENT_ID') === undefined &&
    read(env, 'JWT_CLIENT_ID') === undefined
  ) {
    problems.error('JWT_INTROSPECTION_CLIENT_ID', 'required (or JWT_CLIENT_ID): the client id')
  }
  if (read(env, 'JWT_INTROSPECTION_CLIENT_SECRET') === undefined) {
    problems.error('JWT_INTROSPECTION_CLIENT_SECRET', 'required with JWT_INTROSPECTION=true')
  }
  const url = httpUrl(env, 'JWT_INTROSPECTION_URL', problems)
  if (url !== undefined) {
    const problem = endpointRefusal(url.href)
    if (problem !== undefined) problems.error('JWT_INTROSPECTION_URL', problem)
  } else if (read(env, 'JWT_INTROSPECTION_URL') === undefined && !context.discovery) {
    problems.error('JWT_INTROSPECTION_URL', 'required unless JWT_DISCOVERY=true')
  }
  integer(env, 'JWT_INTROSPECTION_CACHE_TTL', 0, 86_400, problems)
}
