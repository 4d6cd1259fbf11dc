/**
 * Issue 21, point 30: `inspect` maps roles, scopes and the username as the middleware is configured
 * (`--roles-claim`, `--scopes-claim`, `--username-claim`, the issuer options `rolesClaim`,
 * `scopesClaim` and `username`), through the middleware's own option parsing; and the Auth-O-Tron
 * `sign` example of docs/cli.md makes a token that the `authotron` preset accepts.
 */
import { readFile } from 'node:fs/promises'
import { SignJWT, type JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../src/index.js'
import { NOW, NOW_S, cli } from './run-cli.js'
import { ISSUER } from '../helpers/tokens.js'

const SECRET = 'inspect-claims-test-hmac-secret-of-32-bytes+'

function token(claims: JWTPayload): Promise<string> {
  return new SignJWT({ iss: ISSUER, sub: 'u-1', iat: NOW_S, exp: NOW_S + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(Buffer.from(SECRET))
}

async function inspect(claims: JWTPayload, ...flags: string[]) {
  const argv = ['inspect', await token(claims), '--secret-env', 'S', '--issuer', ISSUER, ...flags]
  return cli(argv, { env: { S: SECRET } })
}

async function verification(claims: JWTPayload, ...flags: string[]) {
  const result = await inspect(claims, '--json', ...flags)
  return { code: result.code, stderr: result.stderr, ...JSON.parse(result.stdout || '{}') }
}

describe('jwt-gate inspect --roles-claim, --scopes-claim, --username-claim', () => {
  const keycloak = {
    realm_access: { roles: ['admin', 'user'] },
    scp: ['read', 'write'],
    preferred_username: 'alice',
  }

  it('reads nothing from claims the default paths do not name', async () => {
    const result = await verification(keycloak)
    expect(result.verification).toEqual({
      result: 'pass',
      subject: 'u-1',
      issuer: ISSUER,
      roles: [],
      scopes: [],
      audienceChecked: false,
    })
  })

  it('maps roles, scopes and the username through the given paths', async () => {
    const result = await verification(
      keycloak,
      '--roles-claim',
      'realm_access.roles',
      '--scopes-claim',
      'scp',
      '--username-claim',
      'preferred_username',
    )
    expect(result.code).toBe(0)
    expect(result.verification).toEqual({
      result: 'pass',
      subject: 'u-1',
      issuer: ISSUER,
      roles: ['admin', 'user'],
      scopes: ['read', 'write'],
      username: 'alice',
      audienceChecked: false,
    })
  })

  it('prints the username in the text verdict', async () => {
    const result = await inspect(keycloak, '--username-claim', 'preferred_username')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(
      `PASS: verified as subject "u-1", issuer "${ISSUER}", roles [], scopes [], username "alice"\n`,
    )
  })

  it('rejects by the middleware rule when the roles claim has the wrong shape', async () => {
    const result = await verification({ groups: { admin: true } }, '--roles-claim', 'groups')
    expect(result.code).toBe(1)
    expect(result.verification).toMatchObject({ code: 'ERR_AUTH_CLAIMS_INVALID', status: 401 })
  })

  it('rejects as a user check would when the username claim is missing, and says why', async () => {
    const result = await inspect({}, '--username-claim', 'preferred_username')
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('REJECTED by ERR_AUTH_USER_UNKNOWN (HTTP 401)')
    expect(result.stdout).toContain(
      'Note: --username-claim "preferred_username" gives no username: a user check refuses the token\n',
    )
  })

  it.each([
    ['--roles-claim', 'issuers[0].rolesClaim'],
    ['--scopes-claim', 'issuers[0].scopesClaim'],
    ['--username-claim', 'issuers[0].username'],
  ])('refuses an empty %s with the middleware option name', async (flag, option) => {
    const result = await inspect({}, `${flag}=`)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('these verification options are refused')
    expect(result.stderr).toContain(`invalid option "${option}"`)
  })
})

/** Splits a documented shell command into its words: quotes and line continuations only. */
function shellWords(command: string): string[] {
  const words: string[] = []
  const pattern = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\\\n)|(\s+)|([^\s'"\\]+)/gy
  let current: string | undefined
  for (const match of command.matchAll(pattern)) {
    const [, single, double, continuation, space, bare] = match
    if (continuation !== undefined || space !== undefined) {
      if (current !== undefined) words.push(current)
      current = undefined
    } else {
      current = (current ?? '') + (single ?? double?.replace(/\\(.)/g, '$1') ?? bare ?? '')
    }
  }
  if (current !== undefined) words.push(current)
  return words
}

/** The command under a `# ...` comment in a docs/cli.md code block, continuation lines joined. */
async function documentedCommand(comment: string): Promise<string[]> {
  const docs = await readFile(new URL('../../docs/cli.md', import.meta.url), 'utf8')
  const lines = docs.split('\n')
  const start = lines.findIndex((line) => line.startsWith(comment))
  expect(start, `docs/cli.md has no line "${comment}"`).toBeGreaterThan(-1)
  const command: string[] = []
  for (const line of lines.slice(start + 1)) {
    command.push(line)
    if (!line.endsWith('\\')) break
  }
  const words = shellWords(command.join('\n').replace(/^\$ /, ''))
  expect(words.slice(0, 2)).toEqual(['npx', 'jwt-gate'])
  return words.slice(2)
}

describe('the Auth-O-Tron example of docs/cli.md', () => {
  it('signs a token that the authotron preset accepts', async () => {
    const argv = await documentedCommand('# HS256 for')
    const env = { AOT_SECRET: SECRET }
    const signed = await cli(argv, { env })
    expect(signed.stderr).toBe('')
    expect(signed.code).toBe(0)
    const issuer = argv[argv.indexOf('--iss') + 1] ?? ''

    // The middleware with the README's Auth-O-Tron recipe.
    const gate = createAuthenticator({
      issuers: [
        {
          issuer,
          key: { secret: SECRET, encoding: 'utf8' },
          claims: 'authotron',
          username: 'username',
        },
      ],
      clock: () => NOW,
    })
    try {
      const auth = await gate.authenticate({
        headers: { authorization: `Bearer ${signed.stdout.trim()}` },
      })
      expect(auth?.claims).toMatchObject({
        realm: expect.any(String),
        username: expect.any(String),
      })
    } finally {
      await gate.close()
    }

    // And the documented inspect command for it.
    const inspectArgv = await documentedCommand('# An Auth-O-Tron HS256 token')
    const token = signed.stdout.trim()
    const inspected = await cli(
      inspectArgv.map((word) => (word === '$TOKEN' ? token : word)),
      { env },
    )
    expect(inspected.stdout).toContain('PASS')
    expect(inspected.code).toBe(0)
  })
})
