import { generateKeyPairSync } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cli, tempDir } from './run-cli.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

/** A matching ClusterCockpit key pair, made with `jwt-gate keygen`. */
async function ccKeys(): Promise<{ JWT_PUBLIC_KEY: string; JWT_PRIVATE_KEY: string }> {
  return JSON.parse((await cli(['keygen', '--json'])).stdout).clusterCockpit
}

async function writeJson(name: string, value: unknown): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value))
  return path
}

async function check(config: unknown, env: Record<string, string> = {}) {
  const result = await cli(['check-config', await writeJson('config.json', config), '--json'], {
    env,
  })
  return {
    code: result.code,
    ...(JSON.parse(result.stdout) as { ok: boolean; problems: unknown[] }),
  }
}

const error = (setting: string, message: string | RegExp) =>
  expect.objectContaining({ severity: 'error', setting, message: expect.stringMatching(message) })

describe('jwt-gate check-config FILE', () => {
  it('accepts a complete configuration with matching keys', async () => {
    const keys = await ccKeys()
    const cross = await ccKeys()
    const config = {
      jwts: {
        'max-age': '2000h',
        'cookie-name': 'access_cc',
        'trusted-issuer': 'https://auth.example',
        'validate-user': false,
        'sync-user-on-login': true,
        'update-user-on-login': true,
      },
    }
    const env = { ...keys, CROSS_LOGIN_JWT_PUBLIC_KEY: cross.JWT_PUBLIC_KEY }
    const result = await cli(['check-config', await writeJson('c.json', config)], { env })
    expect(result).toEqual({ code: 0, stdout: 'ok\n', stderr: '' })
  })

  it('accepts the 2022 names and the current auth.jwts location', async () => {
    const keys = await ccKeys()
    expect(
      await check(
        {
          jwts: {
            'max-age': '168h',
            cookieName: 'cc',
            forceJWTValidationViaDatabase: true,
            trustedExternalIssuer: 'x',
          },
        },
        { ...keys, CROSS_LOGIN_JWT_PUBLIC_KEY: keys.JWT_PUBLIC_KEY },
      ),
    ).toEqual({ code: 0, ok: true, problems: [] })
    expect(await check({ auth: { jwts: { 'max-age': '2m' } } }, keys)).toEqual({
      code: 0,
      ok: true,
      problems: [],
    })
  })

  it.each([
    [{}, 'jwts', /no "jwts" section/],
    [{ jwts: {} }, 'jwts.max-age', /required/],
    [{ jwts: { 'max-age': 3600 } }, 'jwts.max-age', /must be a string duration/],
    [{ jwts: { 'max-age': '2 days' } }, 'jwts.max-age', /not a Go duration/],
    [{ jwts: { 'max-age': '0' } }, 'jwts.max-age', /must be positive/],
    // Issue 21, point 9c: jwt-gate counts token age in whole seconds; the example app refuses these.
    [{ jwts: { 'max-age': '900ms' } }, 'jwts.max-age', /whole number of seconds/],
    [{ jwts: { 'max-age': '1s500ms' } }, 'jwts.max-age', /whole number of seconds/],
    [{ jwts: { 'max-age': '1h', 'cookie-name': 'access cc' } }, 'jwts.cookie-name', /cookie name/],
    [{ jwts: { 'max-age': '1h', 'trusted-issuer': ' ' } }, 'jwts.trusted-issuer', /non-empty/],
    [{ jwts: { 'max-age': '1h', 'validate-user': 'true' } }, 'jwts.validate-user', /JSON boolean/],
    [
      { jwts: { 'max-age': '1h', maxAge: '1h' } },
      'jwts.maxAge',
      /unknown setting; did you mean "max-age"\?/,
    ],
    [{ jwts: { 'max-age': '1h', 'cookie-nam': 'x' } }, 'jwts.cookie-nam', /^unknown setting$/],
    [
      { jwts: { 'max-age': '1h', cookieName: 'a', 'cookie-name': 'a' } },
      'jwts.cookie-name, jwts.cookieName',
      /keep only "cookie-name"/,
    ],
    [{ jwts: { 'max-age': '1h' }, auth: { jwts: { 'max-age': '1h' } } }, 'jwts', /keep one/],
  ])('reports %j under the setting name', async (config, setting, message) => {
    const result = await check(config, await ccKeys())
    expect(result.code).toBe(1)
    expect(result.ok).toBe(false)
    expect(result.problems).toContainEqual(error(setting, message))
  })

  it('checks the key variables without echoing them', async () => {
    const keys = await ccKeys()
    const other = await ccKeys()
    const cases: [Record<string, string>, string, RegExp][] = [
      [
        { ...keys, JWT_PUBLIC_KEY: Buffer.alloc(31).toString('base64') },
        'JWT_PUBLIC_KEY',
        /31 bytes/,
      ],
      [
        { ...keys, JWT_PUBLIC_KEY: keys.JWT_PRIVATE_KEY },
        'JWT_PUBLIC_KEY',
        /64 bytes is a private key/,
      ],
      [
        { ...keys, JWT_PUBLIC_KEY: Buffer.alloc(32, 0xfb).toString('base64url') },
        'JWT_PUBLIC_KEY',
        /URL-safe/,
      ],
      [
        { ...keys, JWT_PRIVATE_KEY: other.JWT_PRIVATE_KEY },
        'JWT_PRIVATE_KEY',
        /not the private key of JWT_PUBLIC_KEY/,
      ],
      [
        { ...keys, JWT_PRIVATE_KEY: keys.JWT_PUBLIC_KEY },
        'JWT_PRIVATE_KEY',
        /32 bytes, Go's Ed25519 private key has 64/,
      ],
      [
        { ...keys, CROSS_LOGIN_JWT_PUBLIC_KEY: 'not base64!' },
        'CROSS_LOGIN_JWT_PUBLIC_KEY',
        /characters outside standard base64/,
      ],
      [
        { ...keys, CROSS_LOGIN_JWT_HS512_KEY: Buffer.alloc(16).toString('base64') },
        'CROSS_LOGIN_JWT_HS512_KEY',
        /at least 32/,
      ],
    ]
    for (const [env, setting, message] of cases) {
      const result = await cli(
        ['check-config', await writeJson('c.json', { jwts: { 'max-age': '1h' } })],
        { env },
      )
      expect([setting, result.code]).toEqual([setting, 1])
      expect(result.stdout).toMatch(new RegExp(`^error   ${setting}: .*${message.source}`, 'm'))
      for (const value of Object.values(env)) expect(result.stdout).not.toContain(value)
    }
  })

  it('takes keys from the jwts section when the variables are unset', async () => {
    const keys = await ccKeys()
    const config = {
      jwts: {
        'max-age': '1h',
        'public-key': keys.JWT_PUBLIC_KEY,
        'private-key': keys.JWT_PRIVATE_KEY,
      },
    }
    expect(await check(config)).toEqual({ code: 0, ok: true, problems: [] })
    const bad = await check({ jwts: { ...config.jwts, 'public-key': 'AAAA' } })
    expect(bad.problems).toContainEqual(error('jwts.public-key', /3 bytes/))
  })

  it('warns (exit 0) about settings that ClusterCockpit silently ignores', async () => {
    const result = await check({
      jwts: {
        'max-age': '1h',
        'cookie-name': 'cc',
        'validate-user': true,
        'sync-user-on-login': true,
      },
    })
    expect(result.code).toBe(0)
    expect(result.problems).toEqual([
      expect.objectContaining({ severity: 'warning', setting: 'jwts.sync-user-on-login' }),
      expect.objectContaining({ severity: 'warning', setting: 'JWT_PUBLIC_KEY' }),
      expect.objectContaining({
        severity: 'warning',
        setting: 'CROSS_LOGIN_JWT_PUBLIC_KEY',
        message: expect.stringContaining('cross-login cookie stays disabled'),
      }),
    ])
  })

  it('reads the variables from --env-file instead of the environment', async () => {
    const keys = await ccKeys()
    const envFile = join(dir, '.env')
    await writeFile(
      envFile,
      `JWT_PUBLIC_KEY="${keys.JWT_PUBLIC_KEY}"\nJWT_PRIVATE_KEY="${keys.JWT_PRIVATE_KEY}"\n`,
    )
    const config = await writeJson('c.json', { jwts: { 'max-age': '1h' } })
    const result = await cli(['check-config', config, '--env-file', envFile], {
      env: { JWT_PUBLIC_KEY: 'ignored' },
    })
    expect(result).toEqual({ code: 0, stdout: 'ok\n', stderr: '' })
  })

  it('fails on a file that is not JSON, and exits 2 without a file', async () => {
    const notJson = await cli(['check-config', await writeJson('c.json', '{ "jwts": ')])
    expect(notJson.code).toBe(1)
    expect(notJson.stdout).toMatch(/c\.json: is not valid JSON/)
    expect((await cli(['check-config'])).code).toBe(2)
    expect((await cli(['check-config', 'c.json', '--env'])).code).toBe(2)
  })
})

describe('jwt-gate check-config --env', () => {
  const ed = generateKeyPairSync('ed25519')
  const raw = ed.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64')
  const base = { JWT_ISSUER: 'https://auth.example', JWT_PUBLIC_KEY: raw }

  async function checkEnv(env: Record<string, string>) {
    const result = await cli(['check-config', '--env', '--json'], { env, cwd: dir })
    return {
      code: result.code,
      ...(JSON.parse(result.stdout) as { ok: boolean; problems: unknown[] }),
    }
  }

  it('accepts a minimal environment', async () => {
    expect(await checkEnv(base)).toEqual({ code: 0, ok: true, problems: [] })
    const result = await cli(['check-config', '--env'], { env: base })
    expect(result).toEqual({ code: 0, stdout: 'ok\n', stderr: '' })
  })

  it('accepts each key source alone', async () => {
    await writeFile(join(dir, 'pub.pem'), ed.publicKey.export({ format: 'pem', type: 'spki' }))
    for (const key of [
      { JWT_PUBLIC_KEY_FILE: 'pub.pem' },
      { JWT_JWKS_URL: 'https://auth.example/.well-known/jwks.json' },
      { JWT_JWKS_URL: 'http://127.0.0.1:4000/.well-known/jwks.json' },
      { JWT_SECRET: 'x'.repeat(32), JWT_ALGORITHMS: 'HS256,HS512' },
    ]) {
      expect(await checkEnv({ JWT_ISSUER: 'i', ...key })).toEqual({
        code: 0,
        ok: true,
        problems: [],
      })
    }
  })

  it.each([
    [{}, ['JWT_ISSUER', 'JWT_PUBLIC_KEY']],
    [{ ...base, JWT_SECRET: 'x'.repeat(40) }, ['JWT_PUBLIC_KEY, JWT_SECRET']],
    [{ JWT_ISSUER: 'i', JWT_SECRET: 'too-short' }, ['JWT_SECRET']],
    [{ JWT_ISSUER: 'i', JWT_JWKS_URL: 'http://auth.example/jwks' }, ['JWT_JWKS_URL']],
    [{ JWT_ISSUER: 'i', JWT_PUBLIC_KEY_FILE: 'missing.pem' }, ['JWT_PUBLIC_KEY_FILE']],
    [{ ...base, JWT_ALGORITHMS: 'RS256' }, ['JWT_ALGORITHMS']],
    [{ ...base, JWT_ALGORITHMS: 'EdDSA,none' }, ['JWT_ALGORITHMS']],
    [{ ...base, JWT_COOKIE_NAME: 'a;b' }, ['JWT_COOKIE_NAME']],
    [{ ...base, JWT_CLOCK_TOLERANCE: '1.5' }, ['JWT_CLOCK_TOLERANCE']],
    [{ ...base, PORT: '70000' }, ['PORT']],
    [{ ...base, JWT_VALIDATE_USERS: 'maybe' }, ['JWT_VALIDATE_USERS']],
    [{ ...base, JWT_VALIDATE_USERS: 'true' }, ['USERS_DB']],
    [
      { ...base, JWT_VALIDATE_USERS: 'true', USERS_DB: 'u.db', DATABASE_URL: 'postgres://x' },
      ['DATABASE_URL'],
    ],
    [{ ...base, JWT_VALIDATE_USERS: 'true', DATABASE_URL: 'mysql://x' }, ['DATABASE_URL']],
    [{ ...base, USERS_DB: 'u.db' }, ['USERS_DB']],
    [{ ...base, AUTH_LOGIN_URL: 'ftp://x' }, ['AUTH_LOGIN_URL']],
  ])('reports %j naming %j', async (env, settings) => {
    const result = await checkEnv(env)
    expect(result.code).toBe(1)
    const named = (result.problems as { severity: string; setting: string }[])
      .filter((p) => p.severity === 'error')
      .map((p) => p.setting)
    expect(named).toEqual(settings)
  })

  it('never prints a secret, even a bad one', async () => {
    const secret = 'short-but-secret'
    const result = await cli(['check-config', '--env'], {
      env: { JWT_ISSUER: 'i', JWT_SECRET: secret },
    })
    expect(result.stdout).toContain(
      'error   JWT_SECRET: is 16 bytes; at least 32 bytes are required',
    )
    expect(result.stdout).not.toContain(secret)
  })

  it('checks USERS_FILE entries by index and field', async () => {
    await writeJson('users.json', [
      { username: 'alice', roles: ['user'] },
      { username: '', roles: 'admin', extra: 1 },
    ])
    const result = await checkEnv({
      ...base,
      JWT_VALIDATE_USERS: 'true',
      USERS_DB: 'u.db',
      USERS_FILE: 'users.json',
    })
    expect(result.problems).toEqual([
      error('USERS_FILE[1].username', /non-empty/),
      error('USERS_FILE[1].roles', /array of strings/),
      error('USERS_FILE[1].extra', /unknown field/),
    ])
  })

  it('checks CONFIG_FILE and its interplay with the variables', async () => {
    await writeJson('config.json', {
      jwts: { 'max-age': '1h', 'trusted-issuer': 'https://auth.example', cookieName: 'cc' },
    })
    const cross = { CONFIG_FILE: 'config.json', CROSS_LOGIN_JWT_PUBLIC_KEY: raw }
    expect(await checkEnv(cross)).toEqual({ code: 0, ok: true, problems: [] })
    expect(await checkEnv({ ...cross, JWT_PUBLIC_KEY: raw })).toEqual({
      code: 0,
      ok: true,
      problems: [],
    })

    const conflicts = await checkEnv({
      ...cross,
      JWT_ISSUER: 'x',
      JWT_COOKIE_NAME: 'y',
      JWT_SECRET: 'z'.repeat(32),
    })
    expect(conflicts.problems).toEqual([
      error('JWT_ISSUER', /conflicts with CONFIG_FILE/),
      error('JWT_SECRET', /cannot be combined with CROSS_LOGIN_JWT_PUBLIC_KEY/),
      error('JWT_COOKIE_NAME', /conflicts with jwts.cookie-name/),
    ])

    await writeJson('nested.json', { auth: { jwts: { 'max-age': '1h' } } })
    const nested = await checkEnv({ CONFIG_FILE: 'nested.json', JWT_PUBLIC_KEY: raw })
    expect(nested.problems).toEqual([error('CONFIG_FILE: auth.jwts', /only a top-level "jwts"/)])

    await writeJson('bad.json', { jwts: { 'max-age': 'forever' } })
    const bad = await checkEnv({ CONFIG_FILE: 'bad.json', JWT_PUBLIC_KEY: raw })
    expect(bad.problems).toEqual([error('CONFIG_FILE: jwts.max-age', /not a Go duration/)])
  })

  it('warns about unknown JWT_ variables', async () => {
    const result = await checkEnv({ ...base, JWT_ISSUR: 'typo' })
    expect(result.code).toBe(0)
    expect(result.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        setting: 'JWT_ISSUR',
        message: expect.stringContaining('typo'),
      }),
    ])
  })
})
