/**
 * One verifier of the micro-benchmark, called `warm + n` times on one valid token, for counting
 * instructions under callgrind on a shared machine, where wall-clock time is noise:
 *
 *   valgrind --tool=callgrind node --import tsx bench/micro/count.ts RS256 gate 2000 0
 *   valgrind --tool=callgrind node --import tsx bench/micro/count.ts RS256 gate 2000 5000
 *
 * The difference of the two totals over 5000 is the cost of one verification, warm. Candidates:
 * `gate` (`createAuthenticator({ cache: false })`, as the micro-benchmark calls it), `fast-jwt`
 * (no cache) and `raw` (the one-shot `node:crypto` verify). The key and token are made once and
 * kept in the temporary directory, so that both runs (and any later one) count the same work.
 */
import { createHmac, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import { sign, verify } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createVerifier } from 'fast-jwt'
import type * as IndexModule from '../../src/index.js'
import { built } from '../built.js'
import { ALGORITHMS, AUDIENCE, ISSUER } from '../fixture.js'
import type { BenchAlgorithm } from '../fixture.js'

interface Material {
  token: string
  pem?: string
  secret?: string
}

function makeMaterial(alg: BenchAlgorithm): Material {
  const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  const claims = { roles: ['user'], scope: 'read write', iss: ISSUER, aud: AUDIENCE, sub: 'user-0' }
  const payload = { ...claims, jti: `${alg}-0-count`, iat: now, exp: now + 30 * 86_400 }
  const input = `${b64({ alg, typ: 'JWT' })}.${b64(payload)}`
  if (alg === 'HS256') {
    const secret = randomBytes(32).toString('base64url')
    const mac = createHmac('sha256', secret).update(input).digest('base64url')
    return { token: `${input}.${mac}`, secret }
  }
  const pair =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 })
  const signingKey =
    alg === 'ES256' ? { key: pair.privateKey, dsaEncoding: 'ieee-p1363' as const } : pair.privateKey
  const signature = sign(alg === 'EdDSA' ? null : 'sha256', Buffer.from(input), signingKey)
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()
  return { token: `${input}.${signature.toString('base64url')}`, pem }
}

function material(alg: BenchAlgorithm): Material {
  const file = join(tmpdir(), `jwt-gate-count-${alg}.json`)
  if (!existsSync(file)) writeFileSync(file, JSON.stringify(makeMaterial(alg)), { mode: 0o600 })
  return JSON.parse(readFileSync(file, 'utf8')) as Material
}

async function candidate(name: string, alg: BenchAlgorithm, m: Material): Promise<() => unknown> {
  const { token, pem, secret } = m
  if (name === 'fast-jwt') {
    const pinned = { algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE }
    const verifier = createVerifier({ key: secret ?? pem!, ...pinned, cache: false })
    return () => verifier(token)
  }
  if (name === 'raw' && pem !== undefined) {
    const key = createPublicKey(pem)
    const keyInput = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key
    const hash = alg === 'EdDSA' ? null : 'sha256'
    return () => {
      const dot = token.lastIndexOf('.')
      const signature = Buffer.from(token.slice(dot + 1), 'base64url')
      return verify(hash, Buffer.from(token.slice(0, dot)), keyInput, signature)
    }
  }
  if (name !== 'gate') throw new Error(`unknown candidate ${name} for ${alg}`)
  const { createAuthenticator } = await built<typeof IndexModule>('index.js')
  const key = secret === undefined ? { pem: pem! } : { secret, encoding: 'utf8' as const }
  const issuer = { issuer: ISSUER, audience: AUDIENCE, key, algorithms: [alg] }
  const gate = createAuthenticator({ issuers: [issuer], cache: false })
  const request = { headers: { authorization: `Bearer ${token}` } }
  return () => gate.authenticate(request)
}

const [alg, name = 'gate', warm = '2000', count = '0'] = process.argv.slice(2)
if (!ALGORITHMS.includes(alg as BenchAlgorithm))
  throw new Error(`algorithm: ${ALGORITHMS.join(', ')}`)
const run = await candidate(name, alg as BenchAlgorithm, material(alg as BenchAlgorithm))
for (let i = 0; i < Number(warm); i++) {
  if (!(await run())) throw new Error(`${name} rejects a valid ${alg} token`)
}
for (let i = 0; i < Number(count); i++) await run()
