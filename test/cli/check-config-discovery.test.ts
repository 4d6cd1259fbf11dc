/**
 * `check-config --env` and issue 23's variables: `JWT_DISCOVERY=true` is a key source (with
 * `JWT_ISSUER` as discovery needs it, and no key variable beside it), and
 * `JWT_TOKEN_PROFILE=rfc9068` needs an audience to check. Each problem names the variable and
 * says what to change; no value is echoed. check-env-agrees.test.ts runs the same environments
 * against the app.
 */
import { describe, expect, it } from 'vitest'
import { cli } from './run-cli.js'

const ISSUER = 'https://auth.example'
const WHY_NOT_BESIDE =
  "cannot be combined with JWT_DISCOVERY=true (the keys come from the issuer's discovery)"

async function checkEnv(env: Record<string, string>) {
  const result = await cli(['check-config', '--env', '--json'], { env })
  const report = JSON.parse(result.stdout) as {
    ok: boolean
    problems: { severity: string; setting: string; message: string }[]
  }
  return { code: result.code, ...report }
}

describe('check-config --env with JWT_DISCOVERY', () => {
  it('true with JWT_ISSUER and no key variable: ok, no unknown-variable warning', async () => {
    expect(await checkEnv({ JWT_ISSUER: ISSUER, JWT_DISCOVERY: 'true' })).toEqual({
      code: 0,
      ok: true,
      problems: [],
    })
    const text = await cli(['check-config', '--env'], {
      env: { JWT_ISSUER: 'http://127.0.0.1:4000/realms/a', JWT_DISCOVERY: 'YES' },
    })
    expect(text).toEqual({ code: 0, stdout: 'ok\n', stderr: '' })
  })

  it('beside key variables: an error for each, naming it', async () => {
    const result = await checkEnv({
      JWT_ISSUER: ISSUER,
      JWT_DISCOVERY: 'true',
      JWT_JWKS_URL: `${ISSUER}/jwks`,
      JWT_SECRET: 's'.repeat(40),
    })
    expect(result.code).toBe(1)
    expect(result.problems).toEqual([
      { severity: 'error', setting: 'JWT_JWKS_URL', message: WHY_NOT_BESIDE },
      { severity: 'error', setting: 'JWT_SECRET', message: WHY_NOT_BESIDE },
    ])
  })

  it.each([
    ['not a URL', 'auth-server', /^with JWT_DISCOVERY=true: is not a valid URL for discovery$/],
    ['http off loopback', 'http://auth.example', /^with JWT_DISCOVERY=true: must use https/],
    ['a query', `${ISSUER}/?tenant=a`, /must have no query or fragment for discovery/],
  ])(
    'an issuer discovery cannot use (%s): JWT_ISSUER, without its value',
    async (_, issuer, message) => {
      const result = await checkEnv({ JWT_ISSUER: issuer, JWT_DISCOVERY: 'true' })
      expect(result.code).toBe(1)
      expect(result.problems).toEqual([
        { severity: 'error', setting: 'JWT_ISSUER', message: expect.stringMatching(message) },
      ])
      expect(JSON.stringify(result.problems)).not.toContain(issuer)
    },
  )

  it('true without JWT_ISSUER: the issuer is required, no key is asked for', async () => {
    const result = await checkEnv({ JWT_DISCOVERY: 'true' })
    expect(result.problems.map((p) => p.setting)).toEqual(['JWT_ISSUER'])
  })

  it('not true or false: an error naming it', async () => {
    const result = await checkEnv({ JWT_ISSUER: ISSUER, JWT_DISCOVERY: 'maybe' })
    expect(result.problems[0]).toEqual({
      severity: 'error',
      setting: 'JWT_DISCOVERY',
      message: 'must be true or false',
    })
  })

  it('no key and no discovery: the message offers discovery, except with CONFIG_FILE', async () => {
    const result = await checkEnv({ JWT_ISSUER: ISSUER, JWT_DISCOVERY: 'false' })
    expect(result.problems).toEqual([
      {
        severity: 'error',
        setting: 'JWT_PUBLIC_KEY',
        message:
          'no key configured: set one of JWT_PUBLIC_KEY, JWT_PUBLIC_KEY_FILE, JWT_JWKS_URL, ' +
          'JWT_SECRET (or JWT_DISCOVERY=true with JWT_ISSUER)',
      },
    ])
  })

  it('with CONFIG_FILE: refused (ClusterCockpit names its issuer in the file)', async () => {
    const result = await cli(['check-config', '--env', '--json'], {
      env: { CONFIG_FILE: '-', JWT_DISCOVERY: 'true' },
    })
    const problems = (
      JSON.parse(result.stdout) as { problems: { setting: string; message: string }[] }
    ).problems
    expect(problems).toContainEqual(
      expect.objectContaining({
        setting: 'JWT_DISCOVERY',
        message: 'works with JWT_ISSUER, not CONFIG_FILE',
      }),
    )
    const noKey = problems.find((p) => p.setting === 'JWT_PUBLIC_KEY')
    expect(noKey?.message).not.toContain('JWT_DISCOVERY')
  })
})

describe('check-config --env with JWT_TOKEN_PROFILE=rfc9068', () => {
  const discovery = { JWT_ISSUER: ISSUER, JWT_DISCOVERY: 'true', JWT_TOKEN_PROFILE: 'rfc9068' }

  it('without JWT_AUDIENCE or JWT_RESOURCE: JWT_AUDIENCE is required, saying why', async () => {
    const result = await checkEnv(discovery)
    expect(result.code).toBe(1)
    expect(result.problems).toEqual([
      {
        severity: 'error',
        setting: 'JWT_AUDIENCE',
        message:
          'is required with JWT_TOKEN_PROFILE=rfc9068 (RFC 9068: the audience must be checked); ' +
          'set JWT_AUDIENCE, or JWT_RESOURCE to require the resource in "aud"',
      },
    ])
  })

  it('with JWT_AUDIENCE, or with JWT_RESOURCE alone: ok', async () => {
    expect(await checkEnv({ ...discovery, JWT_AUDIENCE: 'https://api.example' })).toMatchObject({
      ok: true,
      problems: [],
    })
    expect(await checkEnv({ ...discovery, JWT_RESOURCE: 'https://api.example/mcp' })).toMatchObject(
      { ok: true, problems: [] },
    )
  })
})
