/**
 * Key material and tokens of the benchmarks. The runner creates them once; servers (child
 * processes) get only the public half through a file in a private temporary directory, named by
 * the `BENCH_FIXTURE` environment variable. Nothing here is ever a real credential.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import type { KeyObject, webcrypto } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT, importSPKI } from 'jose'
import type { JWTHeaderParameters } from 'jose'
import type { KeySource } from '../src/index.js'

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
export type Signer = KeyObject | Uint8Array
type Signers = Record<BenchAlgorithm, Signer>

/** The file servers read. */
export interface PublicFixture {
  issuer: string
  audience: string
  keys: Record<BenchAlgorithm, PublicKeyMaterial>
}

/** A private key (PKCS#8 PEM) or HMAC secret of `alg`, as text. */
function newKey(alg: BenchAlgorithm): string {
  if (alg === 'HS256') return randomBytes(32).toString('base64url')
  const pair =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 })
  return pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
}

/**
 * The keys of one algorithm, fresh, or kept in `dir` (mode 0600) when given, so that runs under
 * callgrind count the same work (an RSA key's prime search varies by millions of instructions).
 */
export function createKeys(
  alg: BenchAlgorithm,
  dir?: string,
): { signer: Signer; material: PublicKeyMaterial } {
  const file = dir === undefined ? undefined : join(dir, `${alg}.key`)
  const text = file !== undefined && existsSync(file) ? readFileSync(file, 'utf8') : newKey(alg)
  if (file !== undefined) writeFileSync(file, text, { mode: 0o600 })
  if (alg === 'HS256') {
    return { signer: new TextEncoder().encode(text), material: { secret: text } }
  }
  const signer = createPrivateKey(text)
  const publicKey = createPublicKey(signer)
  const material: PublicKeyMaterial = {
    pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
  const x = publicKey.export({ format: 'jwk' }).x!
  if (alg === 'EdDSA') material.raw = Buffer.from(x, 'base64url').toString('base64')
  return { signer, material }
}

/**
 * Creates fresh keys for every algorithm and writes the public fixture file (mode 0600): the
 * runner's side, the file plus the signing keys.
 */
export function createFixture() {
  const keys = ALGORITHMS.map((alg) => [alg, createKeys(alg)] as const)
  const publicFixture: PublicFixture = {
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: Object.fromEntries(keys.map(([alg, k]) => [alg, k.material])) as PublicFixture['keys'],
  }
  const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-bench-'))
  const file = join(dir, 'fixture.json')
  writeFileSync(file, JSON.stringify(publicFixture), { mode: 0o600 })
  return {
    file,
    signers: Object.fromEntries(keys.map(([alg, k]) => [alg, k.signer])) as Signers,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** jwt-gate's key option for `alg`, as its bench server configures it. */
export function gateKey(alg: BenchAlgorithm, material: PublicKeyMaterial): KeySource {
  if (alg === 'HS256') return { secret: material.secret!, encoding: 'utf8' }
  return alg === 'EdDSA' ? { ed25519: material.raw! } : { pem: material.pem! }
}

/** Reads the public fixture in a server process. */
export function readPublicFixture(): PublicFixture {
  const file = process.env.BENCH_FIXTURE
  if (file === undefined) throw new Error('BENCH_FIXTURE is not set')
  return JSON.parse(readFileSync(file, 'utf8')) as PublicFixture
}

/** A token valid for an hour (distinct `jti`); `claims` and `header` add to or replace the defaults. */
export function signToken(
  signer: Signer,
  alg: BenchAlgorithm,
  claims: Record<string, unknown> = {},
  header: Partial<JWTHeaderParameters> = {},
): Promise<string> {
  const iat = Math.floor(Date.now() / 1000)
  const jti = `${alg}-0-${randomBytes(6).toString('base64url')}`
  const payload = { roles: ['user'], scope: 'read write', iss: ISSUER, aud: AUDIENCE }
  return new SignJWT({ ...payload, sub: 'user-0', jti, iat, exp: iat + 3600, ...claims })
    .setProtectedHeader({ alg, typ: 'JWT', ...header })
    .sign(signer)
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
