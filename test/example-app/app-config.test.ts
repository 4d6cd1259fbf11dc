import { describe, expect, it } from 'vitest'
import { parseGoDurationSeconds } from '../../src/cli/duration.js'
import { parseAppConfig } from '../../example-app/app/config.js'
import { ConfigError, type Env } from '../../example-app/shared/env.js'
import { ISSUER, keyPair } from './helpers.js'

const { publicKey, privateKey, publicKeyBase64 } = keyPair()
const other = keyPair()
const PUBLIC_PEM = publicKey.export({ format: 'pem', type: 'spki' }).toString()
const PRIVATE_PEM = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
const PUBLIC_JWK = publicKey.export({ format: 'jwk' })
const PRIVATE_JWK = privateKey.export({ format: 'jwk' })
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

const FILES: Record<string, string> = {
  '/keys/public.pem': PUBLIC_PEM,
  '/keys/private.pem': PRIVATE_PEM,
  '/keys/cert.pem': CERT,
  '/keys/key.jwk': JSON.stringify(PUBLIC_JWK),
  '/keys/private.jwk': JSON.stringify(PRIVATE_JWK),
  '/keys/keys.jwks': JSON.stringify({ keys: [{ ...PUBLIC_JWK, kid: 'k1' }] }),
  '/keys/empty.jwks': JSON.stringify({ keys: [] }),
  '/keys/raw.txt': `${publicKeyBase64}\n`,
  '/keys/garbage.txt': 'hello',
  '/keys/broken.json': '{"kty":',
  '/users.json': JSON.stringify([
    { username: 'alice', roles: ['user'] },
    { username: 'bob', roles: [], disabled: true, name: 'Bob' },
  ]),
  '/users-bad-roles.json': JSON.stringify([{ username: 'alice', roles: 'user' }]),
  '/users-extra.json': JSON.stringify([{ username: 'alice', roles: [], password: 'x' }]),
  '/not-json': 'nope',
}

function readFile(path: string): string {
  const text = FILES[path]
  if (text === undefined) throw new Error(`ENOENT: ${path}`)
  return text
}

const BASE: Env = { JWT_ISSUER: ISSUER, JWT_PUBLIC_KEY: publicKeyBase64 }

function parse(env: Env) {
  return parseAppConfig(env, readFile)
}

function configError(env: Env): ConfigError {
  try {
    parse(env)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected a ConfigError')
}

function expectError(env: Env, variable: string, message: RegExp) {
  const err = configError(env)
  expect(err.variable).toBe(variable)
  expect(err.message).toMatch(new RegExp(`^${variable}: `))
  expect(err.message).toMatch(message)
}

describe('defaults', () => {
  it('produces jwt-gate options for one issuer with the access_cc cookie', () => {
    const config = parse(BASE)
    expect(config).toEqual({
      port: 3000,
      host: '127.0.0.1',
      loginUrl: new URL('http://127.0.0.1:4000/login'),
      logoutUrl: new URL('http://127.0.0.1:4000/logout'),
      publicUrl: undefined,
      authenticate: {
        issuers: [{ issuer: ISSUER, key: { ed25519: publicKeyBase64 } }],
        sources: ['header', 'cookie'],
        cookie: { name: 'access_cc' },
      },
      users: undefined,
    })
  })
})

describe('PORT and HOST', () => {
  it('reads them', () => {
    const config = parse({ ...BASE, PORT: '8080', HOST: '0.0.0.0' })
    expect([config.port, config.host]).toEqual([8080, '0.0.0.0'])
  })
  it.each(['abc', '-1', '70000', '80.5'])('refuses PORT=%s', (port) => {
    expectError({ ...BASE, PORT: port }, 'PORT', /whole number|between 0 and 65535/)
  })
})

describe('JWT_ISSUER and JWT_AUDIENCE', () => {
  it('requires JWT_ISSUER', () => {
    expectError({ JWT_PUBLIC_KEY: publicKeyBase64 }, 'JWT_ISSUER', /required/)
  })
  it('takes one audience as a string and several as a list', () => {
    expect(parse({ ...BASE, JWT_AUDIENCE: 'app' }).authenticate.issuers[0]?.audience).toBe('app')
    expect(parse({ ...BASE, JWT_AUDIENCE: 'app, api' }).authenticate.issuers[0]?.audience).toEqual([
      'app',
      'api',
    ])
  })
  it('refuses an empty audience item', () => {
    expectError({ ...BASE, JWT_AUDIENCE: 'app,,api' }, 'JWT_AUDIENCE', /empty list item/)
  })
})

describe('key source', () => {
  const keyOf = (env: Env) => parse({ JWT_ISSUER: ISSUER, ...env }).authenticate.issuers[0]?.key

  it('needs exactly one key variable', () => {
    expectError(
      { JWT_ISSUER: ISSUER },
      'JWT_PUBLIC_KEY',
      /no key configured: set one of JWT_PUBLIC_KEY, JWT_PUBLIC_KEY_FILE, JWT_JWKS_URL, JWT_SECRET/,
    )
    expectError(
      { ...BASE, JWT_SECRET: 'x'.repeat(40) },
      'JWT_SECRET',
      /only one key variable, not JWT_PUBLIC_KEY and JWT_SECRET/,
    )
  })

  it.each([
    ['not base64', 'not base64!'],
    ['31 bytes', Buffer.alloc(31, 1).toString('base64')],
    ['64 bytes', Buffer.alloc(64, 1).toString('base64')],
    ['base64url', Buffer.alloc(32, 0xfb).toString('base64url')],
  ])('refuses JWT_PUBLIC_KEY that is %s', (_label, value) => {
    expectError(
      { JWT_ISSUER: ISSUER, JWT_PUBLIC_KEY: value },
      'JWT_PUBLIC_KEY',
      /standard base64 of a raw 32-byte Ed25519/,
    )
  })

  it.each([
    ['/keys/public.pem', { pem: PUBLIC_PEM.trim() }],
    ['/keys/cert.pem', { pem: CERT.trim() }],
    ['/keys/key.jwk', { jwk: PUBLIC_JWK }],
    ['/keys/keys.jwks', { jwks: { keys: [{ ...PUBLIC_JWK, kid: 'k1' }] } }],
    ['/keys/raw.txt', { ed25519: publicKeyBase64 }],
  ])('detects the format of JWT_PUBLIC_KEY_FILE=%s', (file, expected) => {
    expect(keyOf({ JWT_PUBLIC_KEY_FILE: file })).toEqual(expected)
  })

  it.each([
    ['/keys/private.pem', /private key/],
    ['/keys/private.jwk', /private or secret key/],
    ['/keys/empty.jwks', /JWKS has no keys/],
    ['/keys/garbage.txt', /format not recognised/],
    ['/keys/broken.json', /not valid JSON/],
    ['/missing', /cannot be read/],
  ])('refuses JWT_PUBLIC_KEY_FILE=%s', (file, message) => {
    expectError({ JWT_ISSUER: ISSUER, JWT_PUBLIC_KEY_FILE: file }, 'JWT_PUBLIC_KEY_FILE', message)
  })

  it('takes an https JWKS URL, and http only on loopback', () => {
    expect(keyOf({ JWT_JWKS_URL: 'https://idp.example/jwks.json' })).toEqual({
      jwksUrl: 'https://idp.example/jwks.json',
    })
    expect(keyOf({ JWT_JWKS_URL: 'http://127.0.0.1:4000/.well-known/jwks.json' })).toEqual({
      jwksUrl: 'http://127.0.0.1:4000/.well-known/jwks.json',
    })
    expectError(
      { JWT_ISSUER: ISSUER, JWT_JWKS_URL: 'http://idp.example/jwks.json' },
      'JWT_JWKS_URL',
      /https/,
    )
    expectError({ JWT_ISSUER: ISSUER, JWT_JWKS_URL: 'idp.example' }, 'JWT_JWKS_URL', /absolute URL/)
  })

  it('takes an HMAC secret as UTF-8 bytes, at least 32 of them', () => {
    expect(keyOf({ JWT_SECRET: 'é'.repeat(16) })).toEqual({
      secret: 'é'.repeat(16),
      encoding: 'utf8',
    })
    expectError(
      { JWT_ISSUER: ISSUER, JWT_SECRET: 'x'.repeat(31) },
      'JWT_SECRET',
      /at least 32 bytes/,
    )
  })
})

describe('JWT_ALGORITHMS, JWT_COOKIE_NAME, JWT_CLOCK_TOLERANCE', () => {
  it('reads an algorithm list', () => {
    expect(
      parse({ ...BASE, JWT_ALGORITHMS: 'EdDSA, Ed25519' }).authenticate.issuers[0]?.algorithms,
    ).toEqual(['EdDSA', 'Ed25519'])
  })
  it.each([
    ['none', /unsupported algorithm "none"/],
    ['EdDSA,', /empty list item/],
    ['hs256', /unsupported algorithm "hs256"/],
  ])('refuses JWT_ALGORITHMS=%s', (value, message) => {
    expectError({ ...BASE, JWT_ALGORITHMS: value }, 'JWT_ALGORITHMS', message)
  })
  it('reads the cookie name and refuses an invalid one', () => {
    expect(parse({ ...BASE, JWT_COOKIE_NAME: 'jwt' }).authenticate.cookie).toEqual({ name: 'jwt' })
    expectError(
      { ...BASE, JWT_COOKIE_NAME: 'my jwt' },
      'JWT_COOKIE_NAME',
      /not a valid cookie name/,
    )
  })
  it('reads the clock tolerance in seconds', () => {
    expect(
      parse({ ...BASE, JWT_CLOCK_TOLERANCE: '30' }).authenticate.issuers[0]?.clockTolerance,
    ).toBe(30)
    expectError({ ...BASE, JWT_CLOCK_TOLERANCE: '1.5' }, 'JWT_CLOCK_TOLERANCE', /whole number/)
    expectError(
      { ...BASE, JWT_CLOCK_TOLERANCE: '4000' },
      'JWT_CLOCK_TOLERANCE',
      /between 0 and 3600/,
    )
  })
})

describe('user check', () => {
  it('uses SQLite with USERS_DB and loads USERS_FILE', () => {
    expect(
      parse({
        ...BASE,
        JWT_VALIDATE_USERS: 'true',
        USERS_DB: '/db/users.sqlite',
        USERS_FILE: '/users.json',
      }).users,
    ).toEqual({
      database: { kind: 'sqlite', file: '/db/users.sqlite' },
      seed: [
        { username: 'alice', roles: ['user'] },
        { username: 'bob', roles: [], disabled: true, name: 'Bob' },
      ],
      createUnknown: false,
      updateExisting: false,
    })
  })
  it('uses PostgreSQL with DATABASE_URL', () => {
    expect(
      parse({ ...BASE, JWT_VALIDATE_USERS: '1', DATABASE_URL: 'postgres://127.0.0.1/test' }).users
        ?.database,
    ).toEqual({
      kind: 'postgres',
      url: 'postgres://127.0.0.1/test',
    })
  })
  it.each([
    [{ JWT_VALIDATE_USERS: 'maybe' }, 'JWT_VALIDATE_USERS', /true or false/],
    [{ JWT_VALIDATE_USERS: 'true' }, 'USERS_DB', /needs USERS_DB .* or DATABASE_URL/],
    [
      { JWT_VALIDATE_USERS: 'true', USERS_DB: '/a', DATABASE_URL: 'postgres://h/d' },
      'DATABASE_URL',
      /not both/,
    ],
    [{ JWT_VALIDATE_USERS: 'true', DATABASE_URL: 'mysql://h/d' }, 'DATABASE_URL', /postgres:\/\//],
    [{ USERS_DB: '/a' }, 'USERS_DB', /user check is off/],
    [{ JWT_VALIDATE_USERS: 'false', USERS_FILE: '/users.json' }, 'USERS_FILE', /user check is off/],
    [
      { JWT_VALIDATE_USERS: 'true', USERS_DB: '/a', USERS_FILE: '/not-json' },
      'USERS_FILE',
      /not valid JSON/,
    ],
    [
      { JWT_VALIDATE_USERS: 'true', USERS_DB: '/a', USERS_FILE: '/users-bad-roles.json' },
      'USERS_FILE',
      /\[0\]\.roles/,
    ],
    [
      { JWT_VALIDATE_USERS: 'true', USERS_DB: '/a', USERS_FILE: '/users-extra.json' },
      'USERS_FILE',
      /password/,
    ],
    [
      { JWT_VALIDATE_USERS: 'true', USERS_DB: '/a', USERS_FILE: '/missing' },
      'USERS_FILE',
      /cannot be read/,
    ],
  ])('refuses %j', (env, variable, message) => {
    expectError({ ...BASE, ...env }, variable, message)
  })
})

describe('AuthAPI links', () => {
  it('reads the login, logout and public URLs', () => {
    const config = parse({
      ...BASE,
      AUTH_LOGIN_URL: 'https://auth.example/sign-in',
      AUTH_LOGOUT_URL: 'https://auth.example/sign-out',
      APP_PUBLIC_URL: 'https://app.example/',
    })
    expect([config.loginUrl.href, config.logoutUrl.href, config.publicUrl?.href]).toEqual([
      'https://auth.example/sign-in',
      'https://auth.example/sign-out',
      'https://app.example/',
    ])
    expect(parse({ ...BASE, AUTH_LOGIN_URL: 'https://auth.example/x/login' }).logoutUrl.href).toBe(
      'https://auth.example/logout',
    )
  })
  it('refuses a non-http login URL', () => {
    expectError(
      { ...BASE, AUTH_LOGIN_URL: 'ftp://auth.example/' },
      'AUTH_LOGIN_URL',
      /http: or https:/,
    )
  })
})

describe('CONFIG_FILE (ClusterCockpit config.json)', () => {
  function withConfig(jwts: unknown, env: Env = { JWT_PUBLIC_KEY: publicKeyBase64 }) {
    FILES['/config.json'] = JSON.stringify({ addr: '0.0.0.0:8080', jwts })
    return { CONFIG_FILE: '/config.json', ...env }
  }

  it('honours the 2022 camelCase names', () => {
    const config = parse(
      withConfig(
        {
          cookieName: 'cc-jwt',
          trustedExternalIssuer: ISSUER,
          forceJWTValidationViaDatabase: true,
          'max-age': '2000h',
        },
        { JWT_PUBLIC_KEY: publicKeyBase64, USERS_DB: '/u.sqlite' },
      ),
    )
    expect(config.authenticate).toEqual({
      issuers: [{ issuer: ISSUER, key: { ed25519: publicKeyBase64 }, maxTokenAge: 7_200_000 }],
      sources: ['header', 'cookie'],
      cookie: { name: 'cc-jwt' },
    })
    expect(config.users?.database).toEqual({ kind: 'sqlite', file: '/u.sqlite' })
  })

  it('honours the kebab-case names and the login sync switches', () => {
    const config = parse(
      withConfig(
        {
          'cookie-name': 'cc',
          'trusted-issuer': ISSUER,
          'validate-user': true,
          'sync-user-on-login': true,
          'update-user-on-login': true,
          'max-age': '1h30m',
        },
        { JWT_PUBLIC_KEY: publicKeyBase64, DATABASE_URL: 'postgresql://127.0.0.1/test' },
      ),
    )
    expect(config.authenticate.cookie).toEqual({ name: 'cc' })
    expect(config.authenticate.issuers).toEqual([
      { issuer: ISSUER, key: { ed25519: publicKeyBase64 }, maxTokenAge: 5400 },
    ])
    expect(config.users).toMatchObject({ createUnknown: true, updateExisting: true })
  })

  it('trusts CROSS_LOGIN_JWT_PUBLIC_KEY for the trusted issuer and JWT_PUBLIC_KEY for local tokens without iss', () => {
    const config = parse(
      withConfig(
        { 'trusted-issuer': ISSUER, 'max-age': '0' },
        {
          JWT_PUBLIC_KEY: publicKeyBase64,
          CROSS_LOGIN_JWT_PUBLIC_KEY: other.publicKeyBase64,
        },
      ),
    )
    expect(config.authenticate.issuers).toEqual([
      { issuer: ISSUER, key: { ed25519: other.publicKeyBase64 } },
      { issuer: null, key: { ed25519: publicKeyBase64 } },
    ])
  })

  it('verifies local tokens without iss when no issuer is trusted', () => {
    expect(parse(withConfig({ 'max-age': '24h' })).authenticate.issuers).toEqual([
      { issuer: null, key: { ed25519: publicKeyBase64 }, maxTokenAge: 86_400 },
    ])
  })

  it.each([
    [
      { cookieName: 'a', 'cookie-name': 'b' },
      {},
      'CONFIG_FILE',
      /jwts\.cookie-name and jwts\.cookieName disagree/,
    ],
    [{ 'max-age': 'forever' }, {}, 'CONFIG_FILE', /max-age must be a duration/],
    [{ 'max-age': 3600 }, {}, 'CONFIG_FILE', /max-age must be a duration/],
    // Issue 21, point 9c: "900ms" once rounded down to 0, which means no limit.
    [{ 'max-age': '900ms' }, {}, 'CONFIG_FILE', /max-age must be a whole number of seconds/],
    [{ 'max-age': '1500ms' }, {}, 'CONFIG_FILE', /max-age must be a whole number of seconds/],
    [{ 'max-age': '-1h' }, {}, 'CONFIG_FILE', /max-age must be positive/],
    [{ cookieName: 42 }, {}, 'CONFIG_FILE', /jwts\.cookieName/],
    [{ 'cookie-name': 'a b' }, {}, 'CONFIG_FILE', /not a valid cookie name/],
    [{}, { JWT_ISSUER: ISSUER }, 'JWT_ISSUER', /conflicts with CONFIG_FILE/],
    [{ cookieName: 'a' }, { JWT_COOKIE_NAME: 'b' }, 'JWT_COOKIE_NAME', /conflicts/],
    [{ 'validate-user': false }, { JWT_VALIDATE_USERS: 'true' }, 'JWT_VALIDATE_USERS', /conflicts/],
    [
      {},
      { CROSS_LOGIN_JWT_PUBLIC_KEY: other.publicKeyBase64 },
      'CROSS_LOGIN_JWT_PUBLIC_KEY',
      /trusted-issuer/,
    ],
    [
      { 'trusted-issuer': ISSUER },
      { CROSS_LOGIN_JWT_PUBLIC_KEY: 'short' },
      'CROSS_LOGIN_JWT_PUBLIC_KEY',
      /base64/,
    ],
    [
      { 'trusted-issuer': ISSUER },
      { CROSS_LOGIN_JWT_PUBLIC_KEY: other.publicKeyBase64, JWT_SECRET: 'x'.repeat(40) },
      'JWT_SECRET',
      /cannot be combined/,
    ],
  ])('refuses jwts %j with env %j', (jwts, env, variable, message) => {
    expectError(withConfig(jwts, { JWT_PUBLIC_KEY: publicKeyBase64, ...env }), variable, message)
  })

  it('refuses a file that is not JSON or cannot be read', () => {
    expectError(
      { CONFIG_FILE: '/not-json', JWT_PUBLIC_KEY: publicKeyBase64 },
      'CONFIG_FILE',
      /not valid JSON/,
    )
    expectError(
      { CONFIG_FILE: '/missing', JWT_PUBLIC_KEY: publicKeyBase64 },
      'CONFIG_FILE',
      /cannot be read/,
    )
  })

  it.each([
    ['2000h', 7_200_000],
    ['1h30m', 5400],
    ['90s', 90],
    ['0.5h', 1800],
    ['3000ms', 3],
    ['1500ms', 'fraction'],
    ['900ms', 'fraction'],
    ['0', 0],
    ['1d', undefined],
    ['h', undefined],
    ['10 h', undefined],
  ])('parses the Go duration %s in whole seconds', (text, seconds) => {
    expect(parseGoDurationSeconds(text)).toBe(seconds)
  })
})
