import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { parseAuthApiConfig } from '../../example-app/auth-api/config.js'
import { rawPublicKeyBase64 } from '../../example-app/shared/ed25519.js'
import { ConfigError, type Env } from '../../example-app/shared/env.js'
import { keyPair } from './helpers.js'

const { privateKey, publicKeyBase64 } = keyPair()
const FILES: Record<string, string> = {
  '/key.pem': privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  '/rsa.pem': generateKeyPairSync('rsa', { modulusLength: 1024 })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString(),
  '/public.pem': createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString(),
}
const readFile = (path: string) => {
  const text = FILES[path]
  if (text === undefined) throw new Error('ENOENT')
  return text
}
const BASE: Env = { AUTH_USERS_DB: '/data/users.sqlite', AUTH_PRIVATE_KEY_FILE: '/key.pem' }
const parse = (env: Env) => parseAuthApiConfig(env, readFile)

function expectError(env: Env, variable: string, message: RegExp) {
  let error: unknown
  try {
    parse(env)
  } catch (err) {
    error = err
  }
  expect(error).toBeInstanceOf(ConfigError)
  expect((error as ConfigError).variable).toBe(variable)
  expect((error as ConfigError).message).toMatch(message)
}

describe('AuthAPI configuration', () => {
  it('has defaults for everything but the user database and the key', () => {
    const config = parse(BASE)
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      issuer: 'jwt-gate-example-auth-api',
      audience: undefined,
      ttlSeconds: 900,
      usersDb: '/data/users.sqlite',
      cookie: { name: 'access_cc', domain: undefined, secure: 'auto' },
      trustProxy: false,
      appOrigins: [],
      defaultRedirect: undefined,
    })
    expect(rawPublicKeyBase64(config.publicKey)).toBe(publicKeyBase64)
  })

  it("takes ClusterCockpit's raw base64 JWT_PRIVATE_KEY (seed + public key, 64 bytes)", () => {
    const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32)
    const raw = Buffer.concat([seed, Buffer.from(publicKeyBase64, 'base64')]).toString('base64')
    const config = parse({ AUTH_USERS_DB: '/u', JWT_PRIVATE_KEY: raw })
    expect(rawPublicKeyBase64(config.publicKey)).toBe(publicKeyBase64)
  })

  it.each([
    [{ AUTH_PRIVATE_KEY_FILE: '/key.pem', AUTH_USERS_DB: '' }, 'AUTH_USERS_DB', /required/],
    [{ AUTH_USERS_DB: '/u' }, 'AUTH_PRIVATE_KEY_FILE', /required/],
    [{ ...BASE, JWT_PRIVATE_KEY: 'abc' }, 'AUTH_PRIVATE_KEY_FILE', /not both/],
    [{ AUTH_USERS_DB: '/u', JWT_PRIVATE_KEY: 'abc' }, 'JWT_PRIVATE_KEY', /raw Ed25519 key/],
    [{ ...BASE, AUTH_PRIVATE_KEY_FILE: '/missing' }, 'AUTH_PRIVATE_KEY_FILE', /cannot be read/],
    [
      { ...BASE, AUTH_PRIVATE_KEY_FILE: '/public.pem' },
      'AUTH_PRIVATE_KEY_FILE',
      /not a PEM private key/,
    ],
    [{ ...BASE, AUTH_PRIVATE_KEY_FILE: '/rsa.pem' }, 'AUTH_PRIVATE_KEY_FILE', /Ed25519/],
    [{ ...BASE, AUTH_TOKEN_TTL: '10' }, 'AUTH_TOKEN_TTL', /between 30 and 86400/],
    [{ ...BASE, AUTH_COOKIE_NAME: 'a;b' }, 'AUTH_COOKIE_NAME', /cookie name/],
    [{ ...BASE, AUTH_COOKIE_SECURE: 'sometimes' }, 'AUTH_COOKIE_SECURE', /auto, true or false/],
    [{ ...BASE, AUTH_APP_ORIGINS: 'http://app.test/path' }, 'AUTH_APP_ORIGINS', /origin/],
    [{ ...BASE, AUTH_APP_ORIGINS: 'app.test' }, 'AUTH_APP_ORIGINS', /origin/],
    [
      { ...BASE, AUTH_DEFAULT_REDIRECT: 'http://elsewhere.test/' },
      'AUTH_DEFAULT_REDIRECT',
      /AUTH_APP_ORIGINS/,
    ],
    [{ ...BASE, PORT: 'x' }, 'PORT', /whole number/],
  ])('refuses %j', (env, variable, message) => {
    expectError(env, variable, message)
  })

  it('reads the cookie, proxy and redirect settings', () => {
    const config = parse({
      ...BASE,
      AUTH_ISSUER: 'https://auth.example',
      AUTH_AUDIENCE: 'app',
      AUTH_TOKEN_TTL: '300',
      AUTH_COOKIE_NAME: 'jwt',
      AUTH_COOKIE_DOMAIN: 'example.org',
      AUTH_COOKIE_SECURE: 'true',
      AUTH_TRUST_PROXY: 'loopback',
      AUTH_APP_ORIGINS: 'https://app.example.org, http://127.0.0.1:3000/',
      AUTH_DEFAULT_REDIRECT: 'https://app.example.org/me',
    })
    expect(config).toMatchObject({
      issuer: 'https://auth.example',
      audience: 'app',
      ttlSeconds: 300,
      cookie: { name: 'jwt', domain: 'example.org', secure: 'always' },
      trustProxy: 'loopback',
      appOrigins: ['https://app.example.org', 'http://127.0.0.1:3000'],
      defaultRedirect: 'https://app.example.org/me',
    })
    expect(parse({ ...BASE, AUTH_TRUST_PROXY: 'true', AUTH_COOKIE_SECURE: 'false' })).toMatchObject(
      {
        trustProxy: true,
        cookie: { secure: 'never' },
      },
    )
  })
})
