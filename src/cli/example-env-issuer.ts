/**
 * The example app's issuer-wide variables that the library judges only when the app builds its
 * gate (`check-config --env`): `JWT_DISCOVERY` (the keys from the issuer's discovery, so
 * `JWT_ISSUER` must be a URL discovery can use) and `JWT_TOKEN_PROFILE=rfc9068` (which needs an
 * audience to check). Without these checks the CLI would say "ok" to an environment the app
 * refuses at start. Values are never echoed.
 *
 * @module
 */
import { boolean, read, type Env } from './env-values.js'
import { discoveryIssuerRefusal, profileAudienceRefused } from './library.js'
import type { ProblemList } from './problems.js'

/**
 * `JWT_DISCOVERY`: true/false, only without `CONFIG_FILE`, and with a `JWT_ISSUER` discovery can
 * use (an `https:` URL, `http:` on loopback, no query or fragment). Returns whether discovery is
 * the key source; the key variables are checked against it in example-env-keys.ts.
 */
export function checkDiscovery(env: Env, fromConfig: boolean, problems: ProblemList): boolean {
  const discovery = boolean(env, 'JWT_DISCOVERY', problems) ?? false
  if (!discovery) return false
  if (fromConfig) {
    problems.error('JWT_DISCOVERY', 'works with JWT_ISSUER, not CONFIG_FILE')
    return false
  }
  const issuer = read(env, 'JWT_ISSUER')
  // A missing JWT_ISSUER is reported by the issuer check.
  if (issuer === undefined) return true
  const problem = discoveryIssuerRefusal(issuer)
  if (problem !== undefined) problems.error('JWT_ISSUER', `with JWT_DISCOVERY=true: ${problem}`)
  return true
}

/**
 * `JWT_TOKEN_PROFILE=rfc9068` needs the audience checked (RFC 9068 §4): `JWT_AUDIENCE`, or
 * `JWT_RESOURCE`, which the gate then requires in `aud`. The app starts without either, then
 * jwt-gate refuses its options, naming the audience.
 */
export function checkProfileAudience(env: Env, problems: ProblemList): void {
  const profile = read(env, 'JWT_TOKEN_PROFILE')?.toLowerCase()
  if (profile !== 'rfc9068') return
  // A bad JWT_AUDIENCE or JWT_RESOURCE is reported by its own check.
  const audience = read(env, 'JWT_AUDIENCE')
    ?.split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
  const resource = read(env, 'JWT_RESOURCE')
  if (profileAudienceRefused(audience, resource)) {
    problems.error(
      'JWT_AUDIENCE',
      'is required with JWT_TOKEN_PROFILE=rfc9068 (RFC 9068: the audience must be checked); ' +
        'set JWT_AUDIENCE, or JWT_RESOURCE to require the resource in "aud"',
    )
  }
}
