/**
 * Maps a jwt-gate option path (from an `AuthConfigError`) back to the environment variable that
 * set it, so that a mistake only jwt-gate can see (an algorithm that does not fit the key, a
 * certificate it cannot parse) is still reported by variable name.
 *
 * @module
 */
import { readString, type Env } from '../shared/env.js'
import { keyVariablesSet } from './key-source.js'

function keyVariable(env: Env, issuerIndex: number): string {
  if (readString(env, 'CROSS_LOGIN_JWT_PUBLIC_KEY') !== undefined) {
    return issuerIndex === 0 ? 'CROSS_LOGIN_JWT_PUBLIC_KEY' : 'JWT_PUBLIC_KEY'
  }
  const fallback =
    readString(env, 'JWT_DISCOVERY') === undefined ? 'JWT_PUBLIC_KEY' : 'JWT_DISCOVERY'
  return keyVariablesSet(env)[0] ?? fallback
}

const FIELD_VARIABLES: Record<string, string> = {
  algorithms: 'JWT_ALGORITHMS',
  audience: 'JWT_AUDIENCE',
  clockTolerance: 'JWT_CLOCK_TOLERANCE',
  maxTokenAge: 'CONFIG_FILE',
  profile: 'JWT_TOKEN_PROFILE',
}

/** The variable behind an `issuers[i].introspection` option (`introspection.ts`). */
function introspectionVariable(option: string): string {
  if (option.includes('.introspection.endpoint')) return 'JWT_INTROSPECTION_URL'
  if (option.includes('.introspection.cacheTtl')) return 'JWT_INTROSPECTION_CACHE_TTL'
  if (option.includes('.introspection.clientId')) return 'JWT_INTROSPECTION_CLIENT_ID'
  if (option.includes('.introspection.clientSecret')) return 'JWT_INTROSPECTION_CLIENT_SECRET'
  return 'JWT_INTROSPECTION'
}

/** The variable behind `option`, or `undefined` when the option is not set from the environment. */
export function variableForOption(option: string, env: Env): string | undefined {
  const issuer = /^issuers\[(\d+)\]\.(\w+)/.exec(option)
  if (issuer !== null) {
    const field = issuer[2] ?? ''
    if (field === 'key') return keyVariable(env, Number(issuer[1]))
    if (field === 'introspection') return introspectionVariable(option)
    if (field === 'issuer') {
      return readString(env, 'CONFIG_FILE') === undefined ? 'JWT_ISSUER' : 'CONFIG_FILE'
    }
    return FIELD_VARIABLES[field]
  }
  if (option.startsWith('cookie')) {
    return readString(env, 'JWT_COOKIE_NAME') === undefined ? 'CONFIG_FILE' : 'JWT_COOKIE_NAME'
  }
  if (option.startsWith('dpop.nonce')) return 'DPOP_NONCE_SECRET'
  if (option.startsWith('dpop.publicOrigin')) return 'APP_PUBLIC_URL'
  if (option.startsWith('dpop')) return 'JWT_DPOP'
  if (option.startsWith('users')) {
    return readString(env, 'DATABASE_URL') === undefined ? 'USERS_DB' : 'DATABASE_URL'
  }
  return undefined
}
