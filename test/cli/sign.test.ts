import { expressOf } from '../helpers/app.js'
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import cookieParser from 'cookie-parser'
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose'
import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  authenticate,
  createAuthenticator,
  type Algorithm,
  type KeySource,
} from '../../src/index.js'
import { NOW, NOW_S, cli, cliProcess, tempDir } from './run-cli.js'
import { ISSUER } from '../helpers/tokens.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const SECRET = 'a-test-hmac-secret-of-at-least-32-bytes!'

async function privateKeyFile(key: KeyObject): Promise<string> {
  const path = join(dir, 'private.pem')
  await writeFile(path, key.export({ format: 'pem', type: 'pkcs8' }))
  return path
}

/** Mints with `jwt-gate sign` and returns the bare token. */
async function mint(argv: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await cli(['sign', ...argv], { env })
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)
  return result.stdout.trim()
}

/** Verifies with the core at the tests' fixed time. */
async function verify(
  token: string,
  issuer: string | null,
  key: KeySource,
  algorithms?: Algorithm[],
) {
  const gate = createAuthenticator({
    issuers: [{ issuer, key, ...(algorithms && { algorithms }) }],
    clock: () => NOW,
  })
  try {
    return await gate.authenticate({ headers: { authorization: `Bearer ${token}` } })
  } finally {
    await gate.close()
  }
}

describe('jwt-gate sign', () => {
  for (const version of ['express5', 'express4'] as const) {
    it(`mints an EdDSA token that the middleware accepts (${version})`, async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519')
      const token = await mint([
        '--key',
        await privateKeyFile(privateKey),
        '--iss',
        ISSUER,
        '--sub',
        'alice',
        '--claim',
        'roles:=["admin","user"]',
        '--now',
        NOW.toISOString(),
      ])
      const factory = expressOf(version)
      const app = factory()
      let ran = 0
      app.use(cookieParser())
      app.use(
        authenticate({
          issuers: [
            {
              issuer: ISSUER,
              key: { pem: publicKey.export({ format: 'pem', type: 'spki' }).toString() },
            },
          ],
          clock: () => NOW,
        }),
      )
      app.get('/me', (req, res) => {
        ran++
        res.json({ sub: req.auth?.subject, roles: req.auth?.roles })
      })

      const ok = await request(app).get('/me').set('Authorization', `Bearer ${token}`)
      expect(ok.status).toBe(200)
      expect(ok.body).toEqual({ sub: 'alice', roles: ['admin', 'user'] })
      expect(ran).toBe(1)

      const none = await request(app).get('/me')
      expect(none.status).toBe(401)
      expect(none.headers['www-authenticate']).toBe('Bearer realm="api"')
      expect(ran).toBe(1)
    })
  }

  it('sets iat to now, exp 15 minutes later, kid to the key thumbprint, typ JWT', async () => {
    const { privateKey } = generateKeyPairSync('ed25519')
    const token = await mint([
      '--key',
      await privateKeyFile(privateKey),
      '--sub',
      'a',
      '--now',
      NOW.toISOString(),
    ])
    expect(decodeJwt(token)).toEqual({ sub: 'a', iat: NOW_S, exp: NOW_S + 900 })
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'EdDSA',
      typ: 'JWT',
      kid: await calculateJwkThumbprint(privateKey.export({ format: 'jwk' }) as JWK),
    })
  })

  it('combines --claims, --claim and the named options, later ones winning', async () => {
    const { privateKey } = generateKeyPairSync('ed25519')
    const token = await mint([
      '--key',
      await privateKeyFile(privateKey),
      '--claims',
      '{"sub":"from-json","scope":"read","n":1}',
      '--claim',
      'scope=read write',
      '--claim',
      'tenant:={"id":7}',
      '--sub',
      'bob',
      '--aud',
      'api',
      '--aud',
      'admin',
      '--jti',
      'j-1',
      '--exp',
      '1h30m',
      '--nbf=-1m',
      '--kid',
      'k1',
      '--typ',
      'at+jwt',
      '--now',
      NOW.toISOString(),
    ])
    expect(decodeJwt(token)).toEqual({
      sub: 'bob',
      scope: 'read write',
      n: 1,
      tenant: { id: 7 },
      aud: ['api', 'admin'],
      jti: 'j-1',
      iat: NOW_S,
      nbf: NOW_S - 60,
      exp: NOW_S + 5400,
    })
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
  })

  it('signs with a private JWK file, keeping its kid', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const path = join(dir, 'private.jwk.json')
    await writeFile(path, JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: 'ec-1' }))
    const token = await mint([
      '--key',
      path,
      '--iss',
      ISSUER,
      '--sub',
      'g',
      '--now',
      NOW.toISOString(),
    ])
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'ec-1' })
    const auth = await verify(token, ISSUER, { jwk: publicKey.export({ format: 'jwk' }) })
    expect(auth?.subject).toBe('g')
  })

  it('omits exp and iat on request', async () => {
    const { privateKey } = generateKeyPairSync('ed25519')
    const token = await mint([
      '--key',
      await privateKeyFile(privateKey),
      '--sub',
      'a',
      '--no-exp',
      '--no-iat',
    ])
    expect(decodeJwt(token)).toEqual({ sub: 'a' })
  })

  it.each([
    ['ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['RS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ] as const)('signs %s by default for that key type, verified by the core', async (alg, pair) => {
    const token = await mint([
      '--key',
      await privateKeyFile(pair.privateKey),
      '--iss',
      ISSUER,
      '--sub',
      'carol',
      '--now',
      NOW.toISOString(),
    ])
    expect(decodeProtectedHeader(token).alg).toBe(alg)
    const auth = await verify(token, ISSUER, {
      jwk: pair.publicKey.export({ format: 'jwk' }),
    })
    expect(auth?.subject).toBe('carol')
  })

  it('signs PS256 with an RSA key when asked', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const token = await mint([
      '--key',
      await privateKeyFile(pair.privateKey),
      '--alg',
      'PS256',
      '--iss',
      ISSUER,
      '--sub',
      'd',
      '--now',
      NOW.toISOString(),
    ])
    expect(decodeProtectedHeader(token).alg).toBe('PS256')
    const auth = await verify(
      token,
      ISSUER,
      {
        pem: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      },
      ['PS256'],
    )
    expect(auth?.subject).toBe('d')
  })

  it('signs HS256 with a secret from the environment without ever printing it', async () => {
    const result = await cli(
      [
        'sign',
        '--secret-env',
        'JWT_SECRET',
        '--iss',
        ISSUER,
        '--sub',
        'eve',
        '--now',
        NOW.toISOString(),
        '--json',
      ],
      { env: { JWT_SECRET: SECRET } },
    )
    expect(result.code).toBe(0)
    expect(result.stdout + result.stderr).not.toContain(SECRET)
    const { token, header, claims } = JSON.parse(result.stdout)
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(claims).toEqual({ iss: ISSUER, sub: 'eve', iat: NOW_S, exp: NOW_S + 900 })
    const auth = await verify(token, ISSUER, { secret: SECRET, encoding: 'utf8' })
    expect(auth?.subject).toBe('eve')
  })

  it('signs with a base64 secret file (ClusterCockpit encoding)', async () => {
    const bytes = randomBytes(64)
    await writeFile(join(dir, 'hs.key'), `${bytes.toString('base64')}\n`)
    const token = await mint([
      '--secret-file',
      join(dir, 'hs.key'),
      '--secret-encoding',
      'base64',
      '--alg',
      'HS512',
      '--sub',
      'f',
      '--iss',
      ISSUER,
      '--now',
      NOW.toISOString(),
    ])
    const auth = await verify(
      token,
      ISSUER,
      { secret: bytes.toString('base64'), encoding: 'base64' },
      ['HS512'],
    )
    expect(auth?.subject).toBe('f')
  })

  it("signs with ClusterCockpit's JWT_PRIVATE_KEY, verified with JWT_PUBLIC_KEY and no iss", async () => {
    const keygen = await cli(['keygen', '--json'])
    const { JWT_PUBLIC_KEY, JWT_PRIVATE_KEY } = JSON.parse(keygen.stdout).clusterCockpit
    const token = await mint(
      ['--ed25519-private-env', 'JWT_PRIVATE_KEY', '--sub', 'local', '--now', NOW.toISOString()],
      {
        JWT_PRIVATE_KEY,
      },
    )
    expect(decodeJwt(token).iss).toBeUndefined()
    const auth = await verify(token, null, { ed25519: JWT_PUBLIC_KEY })
    expect(auth?.subject).toBe('local')
  })

  // The library judges the secret, in its words: the middleware would refuse it the same way.
  it('refuses a secret shorter than 32 bytes, naming its length only', async () => {
    const result = await cli(['sign', '--secret-env', 'S', '--sub', 'a'], {
      env: { S: 'short-secret' },
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      'jwt-gate sign: the secret is 12 bytes; at least 32 bytes are required\n',
    )
  })

  it('refuses a public key as a secret, which the middleware never takes', async () => {
    const { publicKey } = generateKeyPairSync('ed25519')
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString()
    const result = await cli(['sign', '--secret-env', 'S', '--sub', 'a'], { env: { S: pem } })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      'jwt-gate sign: the secret looks like a public key; a public key is never an HMAC secret\n',
    )
  })

  it('refuses a key the middleware refuses (RSA under 2048 bits): it has no algorithm', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    await writeFile(join(dir, 'rsa1024.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }))
    const result = await cli(['sign', '--key', join(dir, 'rsa1024.pem'), '--sub', 'a'])
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'jwt-gate sign: cannot sign with RSA 1024 bits\n',
    })
  })

  it('refuses a 64-byte ClusterCockpit key whose halves do not belong together', async () => {
    const forged = Buffer.concat([Buffer.alloc(32, 1), Buffer.alloc(32, 2)]).toString('base64')
    const result = await cli(['sign', '--ed25519-private-env', 'K', '--sub', 'a'], {
      env: { K: forged },
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('its public half does not match its seed')
    expect(result.stderr).not.toContain(forged)
  })

  it.each([
    [[], 'give exactly one key'],
    [['--key', 'k.pem', '--secret-env', 'S'], 'give exactly one key'],
    [
      ['--secret-env', 'S', '--alg', 'EdDSA'],
      '--alg EdDSA does not fit the HMAC secret; use HS256, HS384, HS512',
    ],
    [['--secret-env', 'S', '--claim', 'novalue'], '--claim takes k=v or k:=JSON'],
    [['--secret-env', 'S', '--claim', 'roles:=[oops'], 'needs valid JSON'],
    [['--secret-env', 'S', '--claims', '[1]'], '--claims must be a JSON object'],
    [['--secret-env', 'S', '--exp', '15 minutes'], '--exp must be a duration'],
    [['--secret-env', 'S', '--exp', '1h', '--no-exp'], 'contradict'],
    [['--secret-env', 'S', '--now', 'yesterday'], '--now must be an ISO 8601 date'],
    [['--secret-env', 'S', '--bogus'], 'unknown option "--bogus"'],
  ])('exits 2 on the usage error %j', async (argv, message) => {
    const result = await cli(['sign', ...argv], { env: { S: SECRET } })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(message)
  })
})

describe('jwt-gate sign with a weak secret (issue 21, point 8)', () => {
  it('signs, and warns on stderr with the middleware rule, never echoing the secret', async () => {
    const weak = 'ab'.repeat(20)
    const result = await cli(['sign', '--secret-env', 'S', '--sub', 'a'], { env: { S: weak } })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)
    expect(result.stderr).toBe(
      'jwt-gate: warning: the HMAC secret looks weak: only 2 distinct byte values; use at least 32 random bytes (jwt-gate keygen --alg HS256, or openssl rand -base64 32)\n',
    )
    expect(result.stderr).not.toContain(weak)
  })

  it('warns once in a real process too, with no raw process warning', () => {
    const weak = 'ab'.repeat(20)
    const result = cliProcess(['sign', '--secret-env', 'S', '--sub', 'a'], { env: { S: weak } })
    expect(result.code).toBe(0)
    expect(result.stderr).not.toContain('(node:')
    expect(result.stderr.match(/warning/gi)).toHaveLength(1)
    expect(result.stderr).toMatch(/^jwt-gate: warning: the HMAC secret looks weak: [^\n]+\n$/)
  })
})

describe('sign and the middleware agree on a secret without encoding (issue 21, point 25)', () => {
  it('both read it as UTF-8', async () => {
    const token = await mint(['--secret-env', 'S', '--sub', 'u', '--now', NOW.toISOString()], {
      S: SECRET,
    })
    expect((await verify(token, null, { secret: SECRET }))?.subject).toBe('u')
  })
})
