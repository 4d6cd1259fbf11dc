/**
 * `check-config --env` and JWT_RESOURCE (issue 23): a resource the library refuses is an error
 * naming the variable; a JWT_AUDIENCE that does not list the resource (the "MCP client can't
 * connect" mismatch) is a warning that says why and what to change. The app agrees on both.
 */
import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { parseAppConfig } from '../../example-app/app/config.js'
import { cli } from './run-cli.js'

const ed = generateKeyPairSync('ed25519')
const raw = ed.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64')
const base = { JWT_ISSUER: 'https://auth.example', JWT_PUBLIC_KEY: raw }
const RESOURCE = 'https://api.example/mcp'

async function checkEnv(env: Record<string, string>) {
  const result = await cli(['check-config', '--env', '--json'], { env })
  return {
    code: result.code,
    ...(JSON.parse(result.stdout) as {
      ok: boolean
      problems: { severity: string; setting: string; message: string }[]
    }),
  }
}

describe('check-config --env with JWT_RESOURCE', () => {
  it('accepts a resource, alone or listed in JWT_AUDIENCE', async () => {
    expect(await checkEnv({ ...base, JWT_RESOURCE: RESOURCE })).toEqual({
      code: 0,
      ok: true,
      problems: [],
    })
    const listed = await checkEnv({
      ...base,
      JWT_RESOURCE: RESOURCE,
      JWT_AUDIENCE: `jobs,${RESOURCE}`,
    })
    expect(listed.problems).toEqual([])
  })

  it('flags a JWT_AUDIENCE that does not list the resource, saying what follows', async () => {
    const env = { ...base, JWT_RESOURCE: RESOURCE, JWT_AUDIENCE: 'https://api.example/' }
    const result = await checkEnv(env)
    expect(result.code).toBe(0)
    expect(result.problems).toEqual([
      {
        severity: 'warning',
        setting: 'JWT_AUDIENCE',
        message: expect.stringMatching(
          /does not list JWT_RESOURCE.*RFC 8707.*refused \(401 ERR_AUTH_AUDIENCE_INVALID\).*Add JWT_RESOURCE to JWT_AUDIENCE/,
        ),
      },
    ])
    const text = await cli(['check-config', '--env'], { env })
    expect(text.stdout).toMatch(/^warning JWT_AUDIENCE: does not list JWT_RESOURCE/)
    // The app starts: an explicit audience wins on purpose.
    expect(() => parseAppConfig(env)).not.toThrow()
  })

  it.each([
    ['http://api.example/mcp', /https/],
    ['https://api.example/mcp#x', /fragment/],
    ['https://api.example/mcp?x=1', /query/],
    ['not-a-url', /absolute URL/],
  ])('refuses JWT_RESOURCE=%s, as the app does', async (resource, message) => {
    const env = { ...base, JWT_RESOURCE: resource }
    const result = await checkEnv(env)
    expect(result.code).toBe(1)
    expect(result.problems).toEqual([
      { severity: 'error', setting: 'JWT_RESOURCE', message: expect.stringMatching(message) },
    ])
    expect(() => parseAppConfig(env)).toThrow(/JWT_RESOURCE/)
    // Never the value itself.
    expect(JSON.stringify(result)).not.toContain(resource)
  })
})
