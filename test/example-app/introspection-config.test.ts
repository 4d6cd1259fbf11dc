/**
 * The example app's introspection variables: `JWT_INTROSPECTION=true` with its client, endpoint
 * (or discovery) and cache TTL; each mistake a ConfigError naming the variable.
 */
import { describe, expect, it } from 'vitest'
import { parseAppConfig } from '../../example-app/app/config.js'
import { ConfigError, type Env } from '../../example-app/shared/env.js'
import { createAuthenticator } from '../../src/index.js'

const ISSUER = 'https://login.example.org'
const base: Env = { JWT_ISSUER: ISSUER, JWT_DISCOVERY: 'true', JWT_AUDIENCE: 'api' }

function variableAtFault(env: Env): string {
  try {
    parseAppConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).variable
  }
  throw new Error('accepted')
}

describe('JWT_INTROSPECTION', () => {
  it('configures the issuer’s introspection, the client id defaulting to JWT_CLIENT_ID', () => {
    const config = parseAppConfig({
      ...base,
      JWT_INTROSPECTION: 'true',
      JWT_CLIENT_ID: 'app',
      JWT_INTROSPECTION_CLIENT_SECRET: 'secret',
      JWT_INTROSPECTION_CACHE_TTL: '30',
    })
    expect(config.authenticate.issuers[0]!.introspection).toEqual({
      clientId: 'app',
      clientSecret: 'secret',
      cacheTtl: 30,
    })
    expect(() => createAuthenticator(config.authenticate)).not.toThrow()
  })

  it('takes an explicit client id and endpoint', () => {
    const config = parseAppConfig({
      ...base,
      JWT_DISCOVERY: undefined,
      JWT_PUBLIC_KEY_FILE: undefined,
      JWT_JWKS_URL: 'https://login.example.org/jwks',
      JWT_INTROSPECTION: 'true',
      JWT_INTROSPECTION_CLIENT_ID: 'introspector',
      JWT_INTROSPECTION_CLIENT_SECRET: 'secret',
      JWT_INTROSPECTION_URL: 'https://login.example.org/introspect',
    })
    expect(config.authenticate.issuers[0]!.introspection).toEqual({
      clientId: 'introspector',
      clientSecret: 'secret',
      endpoint: 'https://login.example.org/introspect',
    })
  })

  it.each<[string, Env, string]>([
    ['no client id', { JWT_INTROSPECTION_CLIENT_SECRET: 's' }, 'JWT_INTROSPECTION_CLIENT_ID'],
    ['no secret', { JWT_CLIENT_ID: 'app' }, 'JWT_INTROSPECTION_CLIENT_SECRET'],
    [
      'a bad cache TTL',
      {
        JWT_CLIENT_ID: 'app',
        JWT_INTROSPECTION_CLIENT_SECRET: 's',
        JWT_INTROSPECTION_CACHE_TTL: '1m',
      },
      'JWT_INTROSPECTION_CACHE_TTL',
    ],
    [
      'a bad URL',
      { JWT_CLIENT_ID: 'app', JWT_INTROSPECTION_CLIENT_SECRET: 's', JWT_INTROSPECTION_URL: 'nope' },
      'JWT_INTROSPECTION_URL',
    ],
    [
      'no endpoint without discovery',
      {
        JWT_DISCOVERY: 'false',
        JWT_JWKS_URL: 'https://login.example.org/jwks',
        JWT_CLIENT_ID: 'app',
        JWT_INTROSPECTION_CLIENT_SECRET: 's',
      },
      'JWT_INTROSPECTION_URL',
    ],
  ])('refuses %s, naming the variable', (_what, extra, variable) => {
    expect(variableAtFault({ ...base, JWT_INTROSPECTION: 'true', ...extra })).toBe(variable)
  })

  it('refuses its companions without it', () => {
    expect(variableAtFault({ ...base, JWT_INTROSPECTION_CACHE_TTL: '30' })).toBe(
      'JWT_INTROSPECTION_CACHE_TTL',
    )
  })
})
