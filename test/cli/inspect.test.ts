import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SignJWT, UnsecuredJWT, type JWK, type JWTPayload } from 'jose'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { NOW_S, cli, cliProcess, tempDir } from './run-cli.js'
import { ISSUER } from '../helpers/tokens.js'

const SECRET = 'inspect-test-hmac-secret-32-bytes-or-more'
const pair = generateKeyPairSync('ed25519')
const other = generateKeyPairSync('ed25519')
const publicPem = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString()
const publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: 'k1' } as JWK

let dir: string
let cleanup: () => Promise<void>
let keyFile: string
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
  keyFile = join(dir, 'public.pem')
  await writeFile(keyFile, publicPem)
})
afterEach(() => cleanup())

/** A token signed with `pair` (or `key`) around the fixed NOW. */
function token(claims: JWTPayload = {}, key = pair.privateKey, kid = 'k1'): Promise<string> {
  return new SignJWT({ iss: ISSUER, sub: 'alice', iat: NOW_S - 180, exp: NOW_S + 720, ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid })
    .sign(key)
}

const verifyArgs = () => ['--key', keyFile, '--issuer', ISSUER]
const AUDIENCE_NOTE =
  'audience not checked: a token minted for any other API passes too; pass --audience to check "aud"'

describe('jwt-gate inspect', () => {
  it('shows header, claims and readable times, and passes a good token', async () => {
    const t = await token({ nbf: NOW_S - 180, roles: ['user'] })
    const result = await cli(['inspect', t, ...verifyArgs()])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain('Header\n  alg  "EdDSA"\n  typ  "JWT"\n  kid  "k1"\n')
    expect(result.stdout).toContain('  sub    "alice"\n')
    expect(result.stdout).toContain('  roles  ["user"]\n')
    expect(result.stdout).toContain('  iat  2026-03-01T11:57:00.000Z  (3 min ago)\n')
    expect(result.stdout).toContain('  nbf  2026-03-01T11:57:00.000Z  (3 min ago)\n')
    expect(result.stdout).toContain('  exp  2026-03-01T12:12:00.000Z  (in 12 min)\n')
    expect(result.stdout).toContain('Signature\n  64 bytes (not shown)\n')
    expect(result.stdout).toContain(
      `Verification\n  PASS: verified as subject "alice", issuer "${ISSUER}", roles ["user"], scopes []\n`,
    )
  })

  it.each([
    ['an expired token', { exp: NOW_S - 60 }, [], 'ERR_AUTH_TOKEN_EXPIRED'],
    ['a token not valid yet', { nbf: NOW_S + 600 }, [], 'ERR_AUTH_TOKEN_NOT_YET_VALID'],
    ['a wrong issuer', { iss: 'https://evil.example' }, [], 'ERR_AUTH_ISSUER_UNTRUSTED'],
    [
      'a wrong audience',
      { aud: 'other-api' },
      ['--audience', 'my-api'],
      'ERR_AUTH_AUDIENCE_INVALID',
    ],
    ['a missing audience', {}, ['--audience', 'my-api'], 'ERR_AUTH_AUDIENCE_INVALID'],
    [
      'a token too old',
      { iat: NOW_S - 7200 },
      ['--max-token-age', '3600'],
      'ERR_AUTH_TOKEN_TOO_OLD',
    ],
  ])('names the rule that rejects %s', async (_, claims, extra, code) => {
    const result = await cli(['inspect', await token(claims), ...verifyArgs(), ...extra])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(new RegExp(`\\n  REJECTED by ${code} \\(HTTP 401\\): [a-z']`))
  })

  it('lists the claims a preset refuses, by path and expectation, never by value', async () => {
    const t = await token({ username: 'alice', realm: 42, roles: ['x'] })
    const args = ['inspect', t, ...verifyArgs(), '--claims-preset', 'authotron']
    const text = await cli(args)
    expect(text.code).toBe(1)
    expect(text.stdout).toContain('REJECTED by ERR_AUTH_CLAIMS_INVALID (HTTP 401)')
    expect(text.stdout).toMatch(/\n {4}realm: .*expected string/)
    expect(text.stdout).not.toMatch(/realm: .*42/)
    const json = JSON.parse((await cli([...args, '--json'])).stdout)
    expect(json.verification.issues).toEqual([
      { path: ['realm'], message: expect.stringContaining('expected string') },
    ])
  })

  it('names the rule for a bad signature (another key)', async () => {
    const result = await cli(['inspect', await token({}, other.privateKey), ...verifyArgs()])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('REJECTED by ERR_AUTH_SIGNATURE_INVALID (HTTP 401)')
  })

  it('names the rule for a tampered payload', async () => {
    const [h, , s] = (await token()).split('.')
    const forged = Buffer.from(
      JSON.stringify({ iss: ISSUER, sub: 'admin', exp: NOW_S + 60 }),
    ).toString('base64url')
    const result = await cli(['inspect', `${h}.${forged}.${s}`, ...verifyArgs()])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('REJECTED by ERR_AUTH_SIGNATURE_INVALID')
  })

  it('names the rule for alg "none", unsigned or with a made-up signature', async () => {
    const unsigned = new UnsecuredJWT({ iss: ISSUER, sub: 'alice', exp: NOW_S + 60 }).encode()
    const a = await cli(['inspect', unsigned, ...verifyArgs()])
    expect(a.code).toBe(1)
    expect(a.stdout).toContain('Problem: alg "none": an unsigned token, never accepted\n')
    expect(a.stdout).toContain('REJECTED by ERR_AUTH_TOKEN_MALFORMED (HTTP 401)')

    const withSignature = `${unsigned}${Buffer.from('sig').toString('base64url')}`
    const b = await cli(['inspect', withSignature, ...verifyArgs()])
    expect(b.code).toBe(1)
    expect(b.stdout).toContain('REJECTED by ERR_AUTH_TOKEN_HEADER_INVALID (HTTP 401)')

    const noKey = await cli(['inspect', unsigned])
    expect(noKey.code).toBe(1)
    expect(noKey.stdout).toContain('Problem: alg "none"')
  })

  it('names the rule for an algorithm outside the allowed list', async () => {
    const result = await cli(['inspect', await token(), ...verifyArgs(), '--alg', 'ES256'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('these verification options are refused')

    const hs = await new SignJWT({ iss: ISSUER, sub: 'a', exp: NOW_S + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(Buffer.from(publicPem))
    const confused = await cli(['inspect', hs, ...verifyArgs()])
    expect(confused.code).toBe(1)
    expect(confused.stdout).toContain('REJECTED by ERR_AUTH_ALG_NOT_ALLOWED')
  })

  it('honours --clock-tolerance and --now', async () => {
    const t = await token({ exp: NOW_S - 30 })
    expect((await cli(['inspect', t, ...verifyArgs()])).code).toBe(1)
    expect((await cli(['inspect', t, ...verifyArgs(), '--clock-tolerance', '60'])).code).toBe(0)
    const earlier = new Date((NOW_S - 60) * 1000).toISOString()
    const atNow = await cli(['inspect', t, ...verifyArgs(), '--now', earlier])
    expect(atNow.code).toBe(0)
    expect(atNow.stdout).toContain('  exp  2026-03-01T11:59:30.000Z  (in 30 s)\n')
  })

  it('never prints the signature', async () => {
    const t = await token()
    const signature = t.split('.')[2]!
    const result = await cli(['inspect', t, ...verifyArgs(), '--json'])
    expect(result.stdout).not.toContain(signature)
    expect((await cli(['inspect', t])).stdout).not.toContain(signature)
  })

  it('verifies HMAC tokens with a secret from the environment without printing it', async () => {
    const t = await new SignJWT({ iss: 'auth-o-tron', sub: 'bob', exp: NOW_S + 60 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(Buffer.from(SECRET))
    const result = await cli(
      ['inspect', t, '--secret-env', 'JWT_SECRET', '--issuer', 'auth-o-tron'],
      {
        env: { JWT_SECRET: SECRET },
      },
    )
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('PASS')
    expect(result.stdout + result.stderr).not.toContain(SECRET)

    const wrong = await cli(['inspect', t, '--secret-env', 'S', '--issuer', 'auth-o-tron'], {
      env: { S: `${SECRET}-but-another` },
    })
    expect(wrong.stdout).toContain('REJECTED by ERR_AUTH_SIGNATURE_INVALID')
    expect(wrong.stdout + wrong.stderr).not.toContain(SECRET)
  })

  it('verifies ClusterCockpit local tokens with --ed25519 and --no-iss', async () => {
    const raw = pair.publicKey
      .export({ format: 'der', type: 'spki' })
      .subarray(-32)
      .toString('base64')
    const local = await new SignJWT({ sub: 'cc-user', roles: ['api'], exp: NOW_S + 60 })
      .setProtectedHeader({ alg: 'EdDSA' })
      .sign(pair.privateKey)
    const result = await cli([
      'inspect',
      local,
      '--ed25519',
      raw,
      '--no-iss',
      '--claims-preset',
      'clustercockpit',
    ])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(
      'PASS: verified as subject "cc-user", issuer null, roles ["api"]',
    )

    const withIss = await cli(['inspect', await token(), '--ed25519', raw, '--no-iss'])
    expect(withIss.stdout).toContain('REJECTED by ERR_AUTH_ISSUER_UNTRUSTED')
  })

  it('accepts the key as JWK, JWKS or private PEM', async () => {
    const t = await token()
    const files = {
      'key.jwk.json': JSON.stringify(publicJwk),
      'jwks.json': JSON.stringify({ keys: [publicJwk] }),
      'private.pem': pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    }
    for (const [name, content] of Object.entries(files)) {
      await writeFile(join(dir, name), content)
      const result = await cli(['inspect', t, '--key', join(dir, name), '--issuer', ISSUER])
      expect([name, result.code]).toEqual([name, 0])
    }
  })

  describe('with a JWKS URL on loopback', () => {
    let server: Server
    let url: string
    beforeAll(async () => {
      server = createServer((_, res) => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ keys: [publicJwk] }))
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
    })
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

    it('fetches the keys and verifies', async () => {
      const result = await cli(['inspect', await token(), '--jwks', url, '--issuer', ISSUER])
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('PASS')
      const unknownKid = await cli([
        'inspect',
        await token({}, other.privateKey, 'k2'),
        '--jwks',
        url,
        '--issuer',
        ISSUER,
      ])
      expect(unknownKid.code).toBe(1)
      expect(unknownKid.stdout).toContain('REJECTED by ERR_AUTH_KEY_NOT_FOUND')
    })
  })

  it('reads the token from standard input, ignoring a Bearer prefix', async () => {
    const result = await cli(['inspect', '-', ...verifyArgs()], {
      stdin: `Bearer ${await token()}\n`,
    })
    expect(result.code).toBe(0)
    expect((await cli(['inspect', ...verifyArgs()], { stdin: await token() })).code).toBe(0)
  })

  it('warns when the issuer is not pinned', async () => {
    const result = await cli(['inspect', await token(), '--key', keyFile])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Note: issuer not pinned')
  })

  it('only decodes without a key', async () => {
    const result = await cli(['inspect', await token()])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('not verified: give --key')
  })

  it('answers --json', async () => {
    const t = await token({ exp: NOW_S - 60 })
    const result = await cli(['inspect', t, ...verifyArgs(), '--json'])
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout)).toEqual({
      header: { alg: 'EdDSA', typ: 'JWT', kid: 'k1' },
      claims: { iss: ISSUER, sub: 'alice', iat: NOW_S - 180, exp: NOW_S - 60 },
      times: {
        iat: { value: NOW_S - 180, iso: '2026-03-01T11:57:00.000Z', relative: '3 min ago' },
        exp: { value: NOW_S - 60, iso: '2026-03-01T11:59:00.000Z', relative: '60 s ago' },
      },
      signatureBytes: 64,
      problems: [],
      notes: [AUDIENCE_NOTE],
      verification: {
        result: 'rejected',
        code: 'ERR_AUTH_TOKEN_EXPIRED',
        status: 401,
        message: expect.any(String),
        audienceChecked: false,
      },
    })
  })

  it('reports what is wrong with a token that does not decode', async () => {
    const jwe = await cli(['inspect', 'a.b.c.d.e'])
    expect(jwe.code).toBe(1)
    expect(jwe.stdout).toContain('five segments: an encrypted JWE')
    const garbage = await cli(['inspect', 'not-a-token', '--json'])
    expect(garbage.code).toBe(1)
    expect(JSON.parse(garbage.stdout).problems).toContain(
      '1 segment(s): a compact JWT has exactly three',
    )
    const empty = await cli(['inspect'], { stdin: '  \n' })
    expect(empty).toMatchObject({ code: 1, stderr: 'jwt-gate inspect: no token given\n' })
  })

  it.each([
    [['--issuer', 'x', '--no-iss'], 'contradict'],
    [['--key', 'k', '--jwks', 'https://x'], 'give at most one of'],
    [['--clock-tolerance=-1'], '--clock-tolerance must be a non-negative number'],
    [['--claims-preset', 'okta'], '--claims-preset must be one of'],
    [['--alg', 'none'], '--alg must be one of'],
    [['a', 'b'], 'unexpected argument "b"'],
  ])('exits 2 on the usage error %j', async (argv, message) => {
    const result = await cli(['inspect', ...argv])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(message)
  })
})

describe('inspect says itself what the library would warn about (issue 21, points 8 and 28)', () => {
  it('notes once that the audience was not checked when no --audience is given', async () => {
    const t = await token({ aud: 'some-other-api' })
    const text = await cli(['inspect', t, ...verifyArgs()])
    expect(text.code).toBe(0)
    expect(text.stderr).toBe('')
    expect(text.stdout.split('audience not checked')).toHaveLength(2)
    expect(text.stdout).toContain(`Note: ${AUDIENCE_NOTE}\n`)

    const json = JSON.parse((await cli(['inspect', t, ...verifyArgs(), '--json'])).stdout)
    expect(json.notes).toEqual([AUDIENCE_NOTE])
    expect(json.verification).toMatchObject({ result: 'pass', audienceChecked: false })
  })

  it('checks the audience and notes nothing with --audience', async () => {
    const args = [
      'inspect',
      await token({ aud: 'my-api' }),
      ...verifyArgs(),
      '--audience',
      'my-api',
    ]
    const text = await cli(args)
    expect(text.code).toBe(0)
    expect(text.stdout).not.toContain('audience not checked')
    const json = JSON.parse((await cli([...args, '--json'])).stdout)
    expect(json.notes).toEqual([])
    expect(json.verification).toMatchObject({ result: 'pass', audienceChecked: true })
  })

  // A real process: Node prints process warnings on its own stderr, which `cli()` does not see.
  it('lets no raw process warning through, and warns about a weak secret once', async () => {
    const weak = 'ab'.repeat(20)
    const t = await new SignJWT({ iss: 'auth-o-tron', sub: 'bob', exp: NOW_S + 60 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(Buffer.from(weak))
    const now = ['--now', new Date(NOW_S * 1000).toISOString()]
    const args = ['inspect', t, '--secret-env', 'S', '--issuer', 'auth-o-tron', ...now]
    const result = cliProcess(args, { env: { S: weak } })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('PASS')
    expect(result.stdout).toContain(`Note: ${AUDIENCE_NOTE}\n`)
    expect(result.stderr).not.toContain('(node:')
    expect(result.stderr).toBe(
      'jwt-gate: warning: the HMAC secret looks weak: only 2 distinct byte values; ' +
        'use at least 32 random bytes (jwt-gate keygen --alg HS256, or openssl rand -base64 32)\n',
    )
  })
})
