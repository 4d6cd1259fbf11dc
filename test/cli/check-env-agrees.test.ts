/**
 * `check-config --env` re-implements the example app's start-up rules so that it can report every
 * problem at once (and ship without the example app). This suite keeps the two in step: for each
 * environment, the app refuses to start exactly when the check reports an error, and the
 * variable the app names is among those the check names. "Refuses to start" covers both steps of
 * the app's start: its own parsing, then jwt-gate's checks of the options it built (which the app
 * maps back to a variable), so a rule only the library knows cannot slip past the check.
 */
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAppConfig } from '../../example-app/app/config.js'
import { variableForOption } from '../../example-app/app/option-variable.js'
import { ConfigError } from '../../example-app/shared/env.js'
import { verdict } from '../../src/cli/library.js'
import { cli, tempDir } from './run-cli.js'
import { createTestPki } from '../helpers/tls.js'

const ed = generateKeyPairSync('ed25519')
const raw = ed.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64')
const base = { JWT_ISSUER: 'https://auth.example', JWT_PUBLIC_KEY: raw }
const dpop = { JWT_DPOP: 'required', APP_PUBLIC_URL: 'https://app.example' }
const postgres = 'postgres://127.0.0.1:5432/test'
const intro = {
  JWT_INTROSPECTION: 'true',
  JWT_CLIENT_ID: 'app',
  JWT_INTROSPECTION_CLIENT_SECRET: 'secret',
}

let dir: string
let cleanup: () => Promise<void>
beforeAll(async () => {
  ;({ dir, cleanup } = await tempDir())
  await writeFile(join(dir, 'pub.pem'), ed.publicKey.export({ format: 'pem', type: 'spki' }))
  await writeFile(join(dir, 'priv.pem'), ed.privateKey.export({ format: 'pem', type: 'pkcs8' }))
  await writeFile(join(dir, 'users.json'), JSON.stringify([{ username: 'a', roles: ['user'] }]))
  await writeFile(join(dir, 'bad-users.json'), JSON.stringify([{ username: 'a' }]))
  const pki = createTestPki([])
  await writeFile(join(dir, 'server.crt'), pki.server.cert)
  await writeFile(join(dir, 'server.key'), pki.server.key)
  await writeFile(join(dir, 'ca.crt'), pki.ca.cert)
  pki.remove()
  await writeFile(join(dir, 'no-max-age.json'), JSON.stringify({ jwts: { cookieName: 'cc' } }))
  await writeFile(
    join(dir, 'cc.json'),
    JSON.stringify({ jwts: { 'max-age': '1h', 'trusted-issuer': 'https://auth.example' } }),
  )
})
afterAll(() => cleanup())

const ENVIRONMENTS: Record<string, string>[] = [
  base,
  {},
  { JWT_ISSUER: 'i' },
  { ...base, JWT_SECRET: 'x'.repeat(40) },
  { JWT_ISSUER: 'i', JWT_SECRET: 'x'.repeat(31) },
  { JWT_ISSUER: 'i', JWT_SECRET: 'x'.repeat(32) },
  { JWT_ISSUER: 'i', JWT_PUBLIC_KEY: 'AAAA' },
  { JWT_ISSUER: 'i', JWT_PUBLIC_KEY_FILE: 'pub.pem' },
  { JWT_ISSUER: 'i', JWT_PUBLIC_KEY_FILE: 'priv.pem' },
  { JWT_ISSUER: 'i', JWT_PUBLIC_KEY_FILE: 'nope.pem' },
  { JWT_ISSUER: 'i', JWT_JWKS_URL: 'http://auth.example/jwks' },
  { JWT_ISSUER: 'i', JWT_JWKS_URL: 'https://auth.example/jwks' },
  { ...base, JWT_ALGORITHMS: 'EdDSA,XS256' },
  { ...base, JWT_COOKIE_NAME: 'bad name' },
  { ...base, JWT_CLOCK_TOLERANCE: '7200' },
  { ...base, JWT_TOKEN_PROFILE: 'RFC9068' },
  { ...base, JWT_TOKEN_PROFILE: 'rfc7519' },
  { CONFIG_FILE: 'cc.json', JWT_PUBLIC_KEY: raw, JWT_TOKEN_PROFILE: 'rfc9068' },
  { ...base, PORT: 'eighty' },
  { ...base, JWT_VALIDATE_USERS: 'true' },
  { ...base, JWT_VALIDATE_USERS: 'true', USERS_DB: 'u.db', USERS_FILE: 'users.json' },
  { ...base, JWT_VALIDATE_USERS: 'true', USERS_DB: 'u.db', USERS_FILE: 'bad-users.json' },
  { ...base, JWT_VALIDATE_USERS: 'yes', DATABASE_URL: 'postgres://localhost/test' },
  { ...base, DATABASE_URL: 'postgres://localhost/test' },
  { CONFIG_FILE: 'cc.json', JWT_PUBLIC_KEY: raw },
  { CONFIG_FILE: 'no-max-age.json', JWT_PUBLIC_KEY: raw },
  { CONFIG_FILE: 'no-max-age.json', JWT_PUBLIC_KEY: raw, JWT_COOKIE_NAME: 'x' },
  { CONFIG_FILE: 'cc.json', CROSS_LOGIN_JWT_PUBLIC_KEY: raw },
  { CONFIG_FILE: 'cc.json', JWT_PUBLIC_KEY: raw, JWT_ISSUER: 'x' },
  { CONFIG_FILE: 'cc.json', CROSS_LOGIN_JWT_PUBLIC_KEY: raw, JWT_JWKS_URL: 'https://x/jwks' },
  // Issue 23: keys by discovery, and the RFC 9068 profile's audience.
  { JWT_ISSUER: 'https://auth.example', JWT_DISCOVERY: 'true' },
  // Issue 25: back-channel logout.
  { ...base, JWT_BACKCHANNEL_LOGOUT: 'true', JWT_CLIENT_ID: 'web' },
  { ...base, JWT_BACKCHANNEL_LOGOUT: 'true' },
  { ...base, JWT_BACKCHANNEL_LOGOUT: 'maybe', JWT_CLIENT_ID: 'web' },
  { ...base, JWT_BACKCHANNEL_LOGOUT: 'false', JWT_CLIENT_ID: 'web' },
  { ...base, JWT_CLIENT_ID: 'web' },
  { ...base, JWT_BACKCHANNEL_LOGOUT: 'false' },
  { JWT_ISSUER: 'http://127.0.0.1:4000', JWT_DISCOVERY: 'yes' },
  { JWT_ISSUER: 'https://auth.example', JWT_DISCOVERY: 'false' },
  { JWT_ISSUER: 'https://auth.example', JWT_DISCOVERY: 'maybe' },
  { JWT_DISCOVERY: 'true' },
  { JWT_ISSUER: 'i', JWT_DISCOVERY: 'true' },
  { JWT_ISSUER: 'http://auth.example', JWT_DISCOVERY: 'true' },
  { JWT_ISSUER: 'https://auth.example/?tenant=a', JWT_DISCOVERY: 'true' },
  { ...base, JWT_DISCOVERY: 'true' },
  { ...base, JWT_DISCOVERY: 'false' },
  { JWT_ISSUER: 'https://auth.example', JWT_DISCOVERY: 'true', JWT_JWKS_URL: 'https://x/jwks' },
  { JWT_ISSUER: 'https://auth.example', JWT_DISCOVERY: 'true', JWT_ALGORITHMS: 'RS256' },
  { CONFIG_FILE: 'cc.json', JWT_PUBLIC_KEY: raw, JWT_DISCOVERY: 'true' },
  { CONFIG_FILE: 'cc.json', JWT_PUBLIC_KEY: raw, JWT_DISCOVERY: 'false' },
  { ...base, JWT_TOKEN_PROFILE: 'rfc9068', JWT_AUDIENCE: 'https://api.example' },
  { ...base, JWT_TOKEN_PROFILE: 'rfc9068', JWT_RESOURCE: 'https://api.example/mcp' },
  {
    JWT_ISSUER: 'https://auth.example',
    JWT_DISCOVERY: 'true',
    JWT_TOKEN_PROFILE: 'rfc9068',
    JWT_RESOURCE: 'https://api.example/mcp',
  },
  { JWT_ISSUER: 'https://auth.example', JWT_DISCOVERY: 'true', JWT_TOKEN_PROFILE: 'rfc9068' },
  // Issue 24: HTTPS and client certificates (certificate-bound tokens).
  { ...base, TLS_CERT_FILE: 'server.crt', TLS_KEY_FILE: 'server.key' },
  {
    ...base,
    TLS_CERT_FILE: 'server.crt',
    TLS_KEY_FILE: 'server.key',
    TLS_CLIENT_CA_FILE: 'ca.crt',
  },
  { ...base, TLS_CERT_FILE: 'server.crt' },
  { ...base, TLS_KEY_FILE: 'server.key' },
  { ...base, TLS_CLIENT_CA_FILE: 'ca.crt' },
  { ...base, TLS_CERT_FILE: 'pub.pem', TLS_KEY_FILE: 'server.key' },
  { ...base, TLS_CERT_FILE: 'server.crt', TLS_KEY_FILE: 'pub.pem' },
  {
    ...base,
    TLS_CERT_FILE: 'server.crt',
    TLS_KEY_FILE: 'server.key',
    TLS_CLIENT_CA_FILE: 'priv.pem',
  },
  { ...base, TLS_CERT_FILE: 'server.crt', TLS_KEY_FILE: 'nope.key' },
  // Issue 24: DPoP, its public origin, replay store and nonces.
  { ...base, ...dpop },
  { ...base, ...dpop, JWT_DPOP: 'REQUIRED' },
  { ...base, ...dpop, JWT_DPOP: 'sometimes' },
  { ...base, JWT_DPOP: 'required' },
  { ...base, ...dpop, APP_PUBLIC_URL: 'https://app.example/api' },
  { ...base, ...dpop, APP_PUBLIC_URL: 'http://app.example' },
  { ...base, ...dpop, APP_PUBLIC_URL: 'http://127.0.0.1:3000/' },
  { ...base, ...dpop, DPOP_REPLAY_STORE: 'memory' },
  { ...base, ...dpop, DPOP_REPLAY_STORE: 'etcd' },
  { ...base, ...dpop, DPOP_REPLAY_STORE: 'redis' },
  { ...base, ...dpop, DPOP_REPLAY_STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' },
  { ...base, ...dpop, DPOP_REPLAY_STORE: 'redis', REDIS_URL: 'http://127.0.0.1:6379' },
  { ...base, ...dpop, REDIS_URL: 'redis://127.0.0.1:6379' },
  { ...base, REVOCATION_BUS: 'kafka' },
  { ...base, REVOCATION_BUS: 'redis' },
  { ...base, REVOCATION_BUS: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' },
  { ...base, REVOCATION_BUS: 'redis', REDIS_URL: 'http://127.0.0.1:6379' },
  {
    ...base,
    ...dpop,
    DPOP_REPLAY_STORE: 'postgres',
    DATABASE_URL: postgres,
    REVOCATION_BUS: 'redis',
    REDIS_URL: 'redis://h',
  },
  { ...base, REVOCATION_BUS: 'postgres', DATABASE_URL: postgres },
  { ...base, REVOCATION_BUS: 'postgres' },
  { ...base, REVOCATION_BUS: 'nats', NATS_URL: 'nats://127.0.0.1:4222' },
  { ...base, REVOCATION_BUS: 'nats', NATS_URL: 'redis://127.0.0.1' },
  { ...base, REVOCATION_BUS: 'nats' },
  { ...base, NATS_URL: 'nats://127.0.0.1:4222' },
  { ...base, ...dpop, DPOP_REPLAY_STORE: 'postgres' },
  { ...base, ...dpop, DPOP_REPLAY_STORE: 'postgres', DATABASE_URL: postgres },
  { ...base, ...dpop, DPOP_REPLAY_STORE: 'postgres', DATABASE_URL: 'mysql://x/test' },
  {
    ...base,
    ...dpop,
    DPOP_REPLAY_STORE: 'postgres',
    DATABASE_URL: postgres,
    JWT_VALIDATE_USERS: 'true',
  },
  { ...base, ...dpop, DATABASE_URL: postgres },
  { ...base, ...dpop, DPOP_NONCE_SECRET: 'n'.repeat(32) },
  { ...base, ...dpop, DPOP_NONCE_SECRET: 'n'.repeat(31) },
  { ...base, DPOP_NONCE_SECRET: 'n'.repeat(32) },
  { ...base, DPOP_REPLAY_STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' },
  // Issue 25: token introspection.
  { ...base, ...intro, JWT_INTROSPECTION_URL: 'https://auth.example/introspect' },
  { ...base, ...intro, JWT_INTROSPECTION_URL: 'http://auth.example/introspect' },
  { ...base, ...intro, JWT_INTROSPECTION_URL: 'http://127.0.0.1:4000/introspect' },
  { ...base, ...intro },
  { JWT_ISSUER: 'https://auth.example', JWT_DISCOVERY: 'true', ...intro },
  { ...base, JWT_INTROSPECTION: 'true', JWT_INTROSPECTION_CLIENT_SECRET: 's' },
  { ...base, JWT_INTROSPECTION: 'true', JWT_CLIENT_ID: 'app' },
  { ...base, ...intro, JWT_INTROSPECTION_CACHE_TTL: '100000' },
  { ...base, JWT_INTROSPECTION_CACHE_TTL: '30' },
  { CONFIG_FILE: 'cc.json', JWT_PUBLIC_KEY: raw, ...intro },
]

/**
 * The variable the app names when it refuses the environment, `undefined` when it starts: its own
 * parsing, then jwt-gate's checks of the options (as main.ts maps them back to a variable). The
 * user database is not opened (the library's checks of it need a store, which tests do not open).
 */
async function appVerdict(env: Record<string, string>): Promise<string | undefined> {
  let config
  try {
    config = parseAppConfig(env, (path) => readFileSync(join(dir, path), 'utf8'))
  } catch (err) {
    if (err instanceof ConfigError) return err.variable
    throw err
  }
  // verdict() keeps the library's start-up warnings (an unchecked audience, say) off the output.
  const { refusal } = await verdict(config.authenticate)
  return refusal === undefined
    ? undefined
    : (variableForOption(refusal.option, env) ?? refusal.option)
}

describe('check-config --env agrees with the example app', () => {
  it.each(ENVIRONMENTS.map((env) => [Object.keys(env).join(' ') || '(empty)', env] as const))(
    '%s',
    async (_, env) => {
      const result = await cli(['check-config', '--env', '--json'], { env, cwd: dir })
      const report = JSON.parse(result.stdout) as {
        problems: { severity: string; setting: string }[]
      }
      const errors = report.problems.filter((p) => p.severity === 'error').map((p) => p.setting)
      const refusedBy = await appVerdict(env)
      if (refusedBy === undefined) {
        expect(errors).toEqual([])
      } else {
        expect(errors.join(' ')).toContain(refusedBy)
      }
    },
  )
})
