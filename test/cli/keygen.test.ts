import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { readFile, stat, writeFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAuthenticator, type Algorithm } from '../../src/index.js'
import { WEAK_SECRET_RULE, weakSecretReason } from '../../src/keys/secret-checks.js'
import { NOW, cli, tempDir } from './run-cli.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const read = (name: string) => readFile(join(dir, name), 'utf8')
const mode = async (name: string) => (await stat(join(dir, name))).mode & 0o777

/** Parses the quoted KEY="value" lines of a .env file. */
function envLines(text: string): Record<string, string> {
  return Object.fromEntries(
    [...text.matchAll(/^([A-Z_]+)="([^"]*)"$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
  )
}

describe('jwt-gate keygen', () => {
  it('writes an Ed25519 pair as PEM, JWK, JWKS and ClusterCockpit raw base64', async () => {
    const result = await cli(['keygen', '--out', dir])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')

    const privateKey = createPrivateKey(await read('private.pem'))
    const publicKey = createPublicKey(await read('public.pem'))
    expect(privateKey.asymmetricKeyType).toBe('ed25519')
    expect(createPublicKey(privateKey).export({ format: 'jwk' })).toEqual(
      publicKey.export({ format: 'jwk' }),
    )

    const jwk = JSON.parse(await read('public.jwk.json')) as JWK
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' })
    expect(jwk.d).toBeUndefined()
    expect(jwk.kid).toBe(await calculateJwkThumbprint(jwk))
    expect(JSON.parse(await read('jwks.json'))).toEqual({ keys: [jwk] })

    // ClusterCockpit: raw 32-byte public key, Go's 64-byte seed||public private key.
    const env = envLines(await read('clustercockpit.env'))
    const rawPublic = Buffer.from(env.JWT_PUBLIC_KEY ?? '', 'base64')
    const rawPrivate = Buffer.from(env.JWT_PRIVATE_KEY ?? '', 'base64')
    expect(rawPublic).toHaveLength(32)
    expect(rawPublic.toString('base64url')).toBe(jwk.x)
    expect(rawPrivate).toHaveLength(64)
    expect(rawPrivate.subarray(0, 32).toString('base64url')).toBe(
      privateKey.export({ format: 'jwk' }).d,
    )
    expect(rawPrivate.subarray(32).equals(rawPublic)).toBe(true)
    expect(result.stdout).toContain(`JWT_PUBLIC_KEY="${env.JWT_PUBLIC_KEY}"`)
    expect(result.stdout).not.toContain(env.JWT_PRIVATE_KEY)
    expect(result.stdout).not.toContain('PRIVATE KEY')

    // The pair works: a signature by the private key verifies with the public PEM.
    const data = Buffer.from('payload')
    expect(verify(null, data, publicKey, sign(null, data, privateKey))).toBe(true)
  })

  it('makes the private files readable by the owner only', async () => {
    expect((await cli(['keygen', '--out', dir])).code).toBe(0)
    expect(await mode('private.pem')).toBe(0o600)
    expect(await mode('clustercockpit.env')).toBe(0o600)
    expect((await mode('public.pem')) & 0o400).toBe(0o400)
  })

  it('refuses to overwrite without --force, and restores mode 0600 with it', async () => {
    await writeFile(join(dir, 'private.pem'), 'old')
    await chmod(join(dir, 'private.pem'), 0o644)
    const refused = await cli(['keygen', '--out', dir])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('private.pem exists; use --force')
    expect(await read('private.pem')).toBe('old')

    const forced = await cli(['keygen', '--out', dir, '--force'])
    expect(forced.code).toBe(0)
    expect(await read('private.pem')).toContain('-----BEGIN PRIVATE KEY-----')
    expect(await mode('private.pem')).toBe(0o600)
  })

  it.each([
    ['ES256', { kty: 'EC', crv: 'P-256', alg: 'ES256' }],
    ['RS256', { kty: 'RSA', e: 'AQAB' }],
  ])('writes a %s pair without ClusterCockpit files', async (alg, expected) => {
    const result = await cli(['keygen', '--alg', alg, '--out', dir, '--json'])
    expect(result.code).toBe(0)
    const out = JSON.parse(result.stdout)
    expect(out.alg).toBe(alg)
    expect(out.files.map((f: string) => f.slice(dir.length + 1))).toEqual([
      'private.pem',
      'public.pem',
      'public.jwk.json',
      'jwks.json',
    ])
    expect(out.publicKeyRaw).toBeUndefined()
    const jwk = JSON.parse(await read('public.jwk.json')) as JWK
    expect(jwk).toMatchObject(expected)
    expect(jwk.kid).toBe(out.kid)
    if (alg === 'RS256') {
      expect(jwk.alg).toBeUndefined() // RSA keys serve six algorithms; the JWK does not pick one
      expect(createPublicKey(await read('public.pem')).asymmetricKeyDetails?.modulusLength).toBe(
        2048,
      )
    }
  })

  it('prints everything to standard output without --out', async () => {
    const text = await cli(['keygen'])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('-----BEGIN PRIVATE KEY-----')
    expect(text.stdout).toContain('-----BEGIN PUBLIC KEY-----')
    expect(text.stdout).toMatch(/^JWT_PRIVATE_KEY="[A-Za-z0-9+/]{86}=="$/m)

    const json = JSON.parse((await cli(['keygen', '--alg', 'ES256', '--json'])).stdout)
    expect(Object.keys(json).sort()).toEqual(
      ['alg', 'jwks', 'kid', 'privatePem', 'publicJwk', 'publicPem'].sort(),
    )
    expect(json.jwks.keys[0]).toEqual(json.publicJwk)
  })

  it('rejects an unknown algorithm as a usage error', async () => {
    const result = await cli(['keygen', '--alg', 'ES384'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--alg must be one of EdDSA, ES256, RS256, HS256, HS384, HS512')
    expect(result.stdout).toBe('')
  })
})

describe('jwt-gate keygen --alg HS256|HS384|HS512 (issue 21, point 8)', () => {
  const snippet = (alg: string) =>
    `key: { secret: process.env.JWT_SECRET, encoding: 'base64' }, algorithms: ['${alg}']`

  /** Mints with `jwt-gate sign` from the secret file and verifies with the core. */
  async function signAndVerify(alg: Algorithm, secret: string) {
    const signed = await cli([
      'sign',
      '--secret-file',
      join(dir, 'secret.b64'),
      '--secret-encoding',
      'base64',
      '--alg',
      alg,
      '--iss',
      'https://auth.example',
      '--sub',
      'alice',
    ])
    expect(signed).toMatchObject({ code: 0, stderr: '' })
    const gate = createAuthenticator({
      issuers: [
        {
          issuer: 'https://auth.example',
          key: { secret, encoding: 'base64' },
          algorithms: [alg],
          audience: false,
        },
      ],
      clock: () => NOW,
    })
    try {
      return await gate.authenticate({
        headers: { authorization: `Bearer ${signed.stdout.trim()}` },
      })
    } finally {
      await gate.close()
    }
  }

  it.each([
    ['HS256', 32],
    ['HS384', 48],
    ['HS512', 64],
  ] as const)(
    'writes a %s secret of %i random bytes that signs and verifies',
    async (alg, length) => {
      const result = await cli(['keygen', '--alg', alg, '--out', dir])
      expect(result).toMatchObject({ code: 0, stderr: '' })
      const text = await read('secret.b64')
      expect(text).toMatch(/^[A-Za-z0-9+/]+={0,2}\n$/)
      const secret = text.trim()
      const bytes = Buffer.from(secret, 'base64')
      expect(bytes).toHaveLength(length)
      expect(weakSecretReason(bytes)).toBeUndefined()
      expect(await mode('secret.b64')).toBe(0o600)
      expect(result.stdout).toContain(`wrote ${join(dir, 'secret.b64')}\n`)
      expect(result.stdout).toContain(snippet(alg))
      expect(result.stdout).not.toContain(secret)

      expect((await signAndVerify(alg, secret))?.subject).toBe('alice')
    },
  )

  it('makes a new secret every time', async () => {
    const secrets = await Promise.all(
      [1, 2].map(async () =>
        JSON.parse((await cli(['keygen', '--alg', 'HS256', '--json'])).stdout),
      ),
    )
    expect(secrets[0].secret).not.toBe(secrets[1].secret)
  })

  it('refuses to overwrite secret.b64 without --force, and restores mode 0600 with it', async () => {
    await writeFile(join(dir, 'secret.b64'), 'old')
    await chmod(join(dir, 'secret.b64'), 0o644)
    const refused = await cli(['keygen', '--alg', 'HS256', '--out', dir])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('secret.b64 exists; use --force')
    expect(await read('secret.b64')).toBe('old')

    const forced = await cli(['keygen', '--alg', 'HS256', '--out', dir, '--force'])
    expect(forced.code).toBe(0)
    expect(Buffer.from(await read('secret.b64'), 'base64')).toHaveLength(32)
    expect(await mode('secret.b64')).toBe(0o600)
  })

  it('prints the secret and its snippet without --out, and the same fields with --json', async () => {
    const text = await cli(['keygen', '--alg', 'HS384'])
    expect(text).toMatchObject({ code: 0, stderr: '' })
    expect(text.stdout).toMatch(/^[A-Za-z0-9+/]{64}$/m)
    expect(text.stdout).toContain(snippet('HS384'))

    const json = JSON.parse((await cli(['keygen', '--alg', 'HS512', '--json'])).stdout)
    expect(json).toEqual({
      alg: 'HS512',
      bytes: 64,
      encoding: 'base64',
      secret: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/),
      middleware: snippet('HS512'),
    })
    expect(Buffer.from(json.secret, 'base64')).toHaveLength(64)

    const written = await cli(['keygen', '--alg', 'HS256', '--out', dir, '--json'])
    expect(JSON.parse(written.stdout)).toEqual({
      alg: 'HS256',
      bytes: 32,
      encoding: 'base64',
      files: [join(dir, 'secret.b64')],
      middleware: snippet('HS256'),
    })
  })

  it('states the weak-secret rule in its help, in the words of the rule itself', async () => {
    const help = await cli(['keygen', '--help'])
    expect(help.stdout).toContain(WEAK_SECRET_RULE)
    expect(help.stdout).toContain('--alg ALG')
    expect(help.stdout).toContain('HS256')
  })
})
