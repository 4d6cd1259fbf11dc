import { spawnSync } from 'node:child_process'
import { X509Certificate, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cli, tempDir } from './run-cli.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const ed = generateKeyPairSync('ed25519')
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const spki = (key: KeyObject) => key.export({ format: 'pem', type: 'spki' }).toString()
/** ClusterCockpit's convert-pem-pubkey: the SPKI's raw 32 key bytes, standard base64. */
const ccRaw = (key: KeyObject) =>
  key.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64')

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

describe('jwt-gate convert', () => {
  it('round-trips PEM -> raw -> JWK -> PEM to the same key', async () => {
    const pem = spki(ed.publicKey)
    const raw = await cli(['convert', '--to', 'raw', await file('public.pem', pem)])
    expect(raw).toEqual({ code: 0, stdout: `${ccRaw(ed.publicKey)}\n`, stderr: '' })

    const jwk = await cli(['convert', '--from', 'raw', '--to', 'jwk'], { stdin: raw.stdout })
    expect(jwk.code).toBe(0)
    const parsed = JSON.parse(jwk.stdout) as JWK
    expect(parsed).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' })
    expect(parsed.kid).toBe(await calculateJwkThumbprint(parsed))

    const back = await cli(['convert', '--from', 'jwk', '--to', 'pem', '-'], { stdin: jwk.stdout })
    expect(back).toEqual({ code: 0, stdout: pem, stderr: '' })
  })

  it('round-trips RSA and P-256 keys through JWK', async () => {
    for (const key of [rsa.publicKey, ec.publicKey]) {
      const jwk = await cli(['convert', '--to', 'jwk'], { stdin: spki(key) })
      expect(jwk.code).toBe(0)
      const back = await cli(['convert', '--to', 'pem'], { stdin: jwk.stdout })
      expect(back.stdout).toBe(spki(key))
    }
    const ecJwk = JSON.parse(
      (await cli(['convert', '--to', 'jwk'], { stdin: spki(ec.publicKey) })).stdout,
    )
    expect(ecJwk.alg).toBe('ES256')
  })

  it('prints a ClusterCockpit .env line with --env-name', async () => {
    const result = await cli(
      ['convert', '--to', 'raw', '--env-name', 'CROSS_LOGIN_JWT_PUBLIC_KEY'],
      {
        stdin: spki(ed.publicKey),
      },
    )
    expect(result.stdout).toBe(`CROSS_LOGIN_JWT_PUBLIC_KEY="${ccRaw(ed.publicKey)}"\n`)
  })

  it('takes the public half of a private key and says so', async () => {
    const pkcs8 = ed.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    const result = await cli(['convert', '--to', 'raw'], { stdin: pkcs8 })
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`${ccRaw(ed.publicKey)}\n`)
    expect(result.stderr).toContain('converting its public half')
    expect(result.stdout + result.stderr).not.toContain('PRIVATE')
  })

  it('takes the public key of an X.509 certificate', async () => {
    // A self-signed Ed25519 certificate made by OpenSSL (Node can read but not create them).
    const keyPath = await file(
      'cert-key.pem',
      ed.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    )
    const certPath = join(dir, 'cert.pem')
    const openssl = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-key',
        keyPath,
        '-out',
        certPath,
        '-days',
        '1',
        '-subj',
        '/CN=jwt-gate-test',
      ],
      { encoding: 'utf8' },
    )
    expect(openssl.status, openssl.stderr).toBe(0)
    expect(new X509Certificate(await readFile(certPath)).publicKey.asymmetricKeyType).toBe(
      'ed25519',
    )
    const result = await cli(['convert', '--to', 'raw', certPath])
    expect(result).toEqual({ code: 0, stdout: `${ccRaw(ed.publicKey)}\n`, stderr: '' })
  })

  it('refuses raw output for a non-Ed25519 key with a clear error', async () => {
    const result = await cli(['convert', '--to', 'raw'], { stdin: spki(ec.publicKey) })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      "jwt-gate convert: raw base64 exists only for Ed25519 keys (ClusterCockpit's format); this is EC P-256\n",
    )
  })

  it.each([
    ['a 64-byte private key', Buffer.alloc(64, 1).toString('base64'), 'that is a private key'],
    ['31 bytes', Buffer.alloc(31, 1).toString('base64'), 'must be 32 bytes, got 31'],
    ['URL-safe base64', '-_' + 'A'.repeat(42), 'URL-safe alphabet'],
    ['unpadded base64', ccRaw(ed.publicKey).replace(/=+$/, ''), 'not padded'],
  ])('rejects raw input that is %s', async (_, input, message) => {
    const result = await cli(['convert', '--from', 'raw', '--to', 'pem'], { stdin: input })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(message)
    expect(result.stderr).not.toContain(input)
  })

  it('picks a key from a JWKS by --kid, and asks for one when several are present', async () => {
    const a = JSON.parse(
      (await cli(['convert', '--to', 'jwk'], { stdin: spki(ed.publicKey) })).stdout,
    )
    const b = JSON.parse(
      (await cli(['convert', '--to', 'jwk'], { stdin: spki(ec.publicKey) })).stdout,
    )
    const jwks = JSON.stringify({ keys: [a, b] })
    const ambiguous = await cli(['convert', '--to', 'pem'], { stdin: jwks })
    expect(ambiguous.code).toBe(1)
    expect(ambiguous.stderr).toContain('the JWKS holds 2 keys; pick one with --kid')
    // `--kid=` form: a thumbprint is base64url and may start with "-" (see the next test).
    const picked = await cli(['convert', '--to', 'pem', `--kid=${b.kid}`], { stdin: jwks })
    expect(picked.stdout).toBe(spki(ec.publicKey))
  })

  it('takes a kid that starts with a dash as --kid=VALUE, and says so when it is given apart', async () => {
    const jwk = JSON.parse(
      (await cli(['convert', '--to', 'jwk'], { stdin: spki(ec.publicKey) })).stdout,
    )
    const jwks = JSON.stringify({
      keys: [
        { ...jwk, kid: '-dash' },
        { ...jwk, kid: 'other' },
      ],
    })
    const picked = await cli(['convert', '--to', 'pem', '--kid=-dash'], { stdin: jwks })
    expect(picked).toEqual({ code: 0, stdout: spki(ec.publicKey), stderr: '' })
    const apart = await cli(['convert', '--to', 'pem', '--kid', '-dash'], { stdin: jwks })
    expect(apart.code).toBe(2)
    expect(apart.stdout).toBe('')
    expect(apart.stderr).toContain("use '--kid=-XYZ'")
  })

  it('answers --json with format, key, type and kid', async () => {
    const result = await cli(['convert', '--to', 'raw', '--json'], { stdin: spki(ed.publicKey) })
    const out = JSON.parse(result.stdout)
    expect(out).toEqual({
      format: 'raw',
      key: ccRaw(ed.publicKey),
      type: 'Ed25519',
      kid: await calculateJwkThumbprint(ed.publicKey.export({ format: 'jwk' }) as JWK),
    })
  })

  it.each([
    [['convert'], '--to is required'],
    [['convert', '--to', 'der'], '--to must be one of pem, jwk, raw'],
    [['convert', '--to', 'pem', 'a', 'b'], 'unexpected argument "b"'],
    [['convert', '--to', 'jwk', '--env-name', 'X'], '--env-name'],
  ])('exits 2 on the usage error %j', async (argv, message) => {
    const result = await cli(argv, { stdin: spki(ed.publicKey) })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(message)
  })

  it('exits 2 when --from contradicts the input', async () => {
    const result = await cli(['convert', '--from', 'raw', '--to', 'pem'], {
      stdin: spki(ed.publicKey),
    })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--from raw given, but the input looks like pem')
  })

  it('exits 1 when the file cannot be read, without quoting what was given as its path', async () => {
    // The "path" may be key material pasted in the wrong place (issue 21, point 6).
    const result = await cli(['convert', '--to', 'pem', join(dir, 'missing.pem')])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe('jwt-gate convert: cannot read the key file: ENOENT\n')
  })
})
