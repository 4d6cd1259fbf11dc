/**
 * Key material and tokens of one benchmark run. The runner creates them once; servers (child
 * processes) get only the public half through a file in a private temporary directory, named by
 * the `BENCH_FIXTURE` environment variable. Nothing here is ever a real credential.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import type { KeyObject, webcrypto } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT, importSPKI } from 'jose'

/** The algorithms the suite measures. */
export const ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'HS256'] as const
export type BenchAlgorithm = (typeof ALGORITHMS)[number]

export const ISSUER = 'https://issuer.bench.invalid'
export const AUDIENCE = 'bench-api'

/** What a server needs to verify tokens of one algorithm. */
export interface PublicKeyMaterial {
  /** SPKI PEM (asymmetric algorithms). */
  pem?: string
  /** Standard base64 of the raw 32-byte Ed25519 key. */
  raw?: string
  /** The HMAC secret, a 43-character ASCII string used as UTF-8 bytes (HS256). */
  secret?: string
}

/** The file servers read. */
export interface PublicFixture {
  issuer: string
  audience: string
  keys: Record<BenchAlgorithm, PublicKeyMaterial>
}

/** The runner's side: public material plus the signing keys. */
export interface Fixture {
  file: string
  dir: string
  public: PublicFixture
  signers: Record<BenchAlgorithm, KeyObject | Uint8Array>
  dispose(): void
}

/** Creates fresh keys for every algorithm and writes the public fixture file (mode 0600). */
export function createFixture(): Fixture {
  const ed = generateKeyPairSync('ed25519')
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const secret = randomBytes(32).toString('base64url')
  const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString()
  const x = ed.publicKey.export({ format: 'jwk' }).x!
  const publicFixture: PublicFixture = {
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: {
      EdDSA: { pem: pem(ed.publicKey), raw: Buffer.from(x, 'base64url').toString('base64') },
      ES256: { pem: pem(ec.publicKey) },
      RS256: { pem: pem(rsa.publicKey) },
      HS256: { secret },
    },
  }
  const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-bench-'))
  const file = join(dir, 'fixture.json')
  writeFileSync(file, JSON.stringify(publicFixture), { mode: 0o600 })
  return {
    file,
    dir,
    public: publicFixture,
    signers: {
      EdDSA: ed.privateKey,
      ES256: ec.privateKey,
      RS256: rsa.privateKey,
      HS256: new TextEncoder().encode(secret),
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** Reads the public fixture in a server process. */
export function readPublicFixture(): PublicFixture {
  const file = process.env.BENCH_FIXTURE
  if (file === undefined) throw new Error('BENCH_FIXTURE is not set')
  return JSON.parse(readFileSync(file, 'utf8')) as PublicFixture
}

/** Signs `count` distinct tokens (distinct `jti`), valid for an hour; subjects cycle over `users`. */
export async function signTokens(
  fixture: Fixture,
  alg: BenchAlgorithm,
  count: number,
  users = 1000,
): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000)
  const tokens: string[] = []
  for (let i = 0; i < count; i++) {
    tokens.push(
      await new SignJWT({ roles: ['user'], scope: 'read write' })
        .setProtectedHeader({ alg, typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(`user-${i % users}`)
        .setJti(`${alg}-${i}-${randomBytes(6).toString('base64url')}`)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(fixture.signers[alg]),
    )
  }
  return tokens
}

/**
 * The verification key of the hand-written jose middleware, imported once as an app would: SPKI
 * through jose, the HMAC secret (its UTF-8 bytes) through WebCrypto.
 */
export async function importJoseKey(
  alg: BenchAlgorithm,
  material: PublicKeyMaterial,
): Promise<webcrypto.CryptoKey | KeyObject> {
  if (alg === 'HS256') {
    return crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(material.secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    )
  }
  return importSPKI(material.pem!, alg)
}
