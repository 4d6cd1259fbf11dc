/**
 * `JWT_INTROSPECTION=true`: the app's issuer also takes opaque access tokens, checked at its
 * introspection endpoint (RFC 7662; docs/introspection.md). The client is
 * `JWT_INTROSPECTION_CLIENT_ID` (else `JWT_CLIENT_ID`) with `JWT_INTROSPECTION_CLIENT_SECRET`; the
 * endpoint is `JWT_INTROSPECTION_URL`, else the discovery document's (`JWT_DISCOVERY=true`);
 * `JWT_INTROSPECTION_CACHE_TTL` is how long an active answer is reused, in seconds.
 *
 * @module
 */
import type { IssuerOptions } from '../../src/index.js'
import {
  ConfigError,
  readBoolean,
  readHttpUrl,
  readInteger,
  readString,
  type Env,
} from '../shared/env.js'

/** The companions of `JWT_INTROSPECTION`, refused without it. */
export const INTROSPECTION_VARIABLES = [
  'JWT_INTROSPECTION_CLIENT_ID',
  'JWT_INTROSPECTION_CLIENT_SECRET',
  'JWT_INTROSPECTION_URL',
  'JWT_INTROSPECTION_CACHE_TTL',
] as const

/**
 * The issuer's `introspection` option, or undefined when `JWT_INTROSPECTION` is off. `fromConfig`:
 * the issuers come from CONFIG_FILE, where introspection is not offered.
 */
export function readIntrospection(
  env: Env,
  discovery: boolean,
  fromConfig: boolean,
): IssuerOptions['introspection'] {
  if (!readBoolean(env, 'JWT_INTROSPECTION', false)) {
    const stray = INTROSPECTION_VARIABLES.find((name) => readString(env, name) !== undefined)
    if (stray !== undefined) throw new ConfigError(stray, 'is set but JWT_INTROSPECTION is off')
    return undefined
  }
  if (fromConfig)
    throw new ConfigError('JWT_INTROSPECTION', 'works with JWT_ISSUER, not CONFIG_FILE')
  const clientId =
    readString(env, 'JWT_INTROSPECTION_CLIENT_ID') ?? readString(env, 'JWT_CLIENT_ID')
  if (clientId === undefined) {
    throw new ConfigError(
      'JWT_INTROSPECTION_CLIENT_ID',
      'required (or JWT_CLIENT_ID): the client id',
    )
  }
  const clientSecret = readString(env, 'JWT_INTROSPECTION_CLIENT_SECRET')
  if (clientSecret === undefined) {
    throw new ConfigError('JWT_INTROSPECTION_CLIENT_SECRET', 'required with JWT_INTROSPECTION=true')
  }
  const endpoint = readHttpUrl(env, 'JWT_INTROSPECTION_URL')
  if (endpoint === undefined && !discovery) {
    throw new ConfigError('JWT_INTROSPECTION_URL', 'required unless JWT_DISCOVERY=true')
  }
  const ttl = readString(env, 'JWT_INTROSPECTION_CACHE_TTL')
  return {
    clientId,
    clientSecret,
    ...(endpoint === undefined ? {} : { endpoint: endpoint.href }),
    ...(ttl === undefined
      ? {}
      : { cacheTtl: readInteger(env, 'JWT_INTROSPECTION_CACHE_TTL', 60, { min: 0, max: 86_400 }) }),
  }
}
