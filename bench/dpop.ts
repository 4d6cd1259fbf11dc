/**
 * DPoP load for the benchmark (RFC 9449): a client proof key, an access token bound to it
 * (`cnf.jkt`), and proofs made ahead of each slice of load, one per request. A server refuses a
 * proof it has seen (jwt-gate's replay store), so the runner never sends one twice: a slice's
 * request count is bounded by the proofs made for it. Nothing here is ever a real credential.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import { AUDIENCE, ISSUER } from './fixture.js'
import type { BenchAlgorithm, Fixture } from './fixture.js'

/** The proof algorithms the bench uses: EdDSA with EdDSA tokens, ES256 with any other. */
export type ProofAlgorithm = 'ES256' | 'EdDSA'

/** A client's DPoP key and the access token bound to it. */
export interface DpopClient {
  alg: ProofAlgorithm
  privateKey: KeyObject
  /** The public JWK, as the proofs' `jwk` header carries it. */
  jwk: Record<string, string>
  /** RFC 7638 thumbprint of `jwk`: the token's `cnf.jkt`. */
  jkt: string
  token: string
  /** base64url(SHA-256(token)): every proof's `ath`. */
  ath: string
}

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')

function thumbprint(jwk: Record<string, string>): string {
  const members = jwk.kty === 'OKP' ? ['crv', 'kty', 'x'] : ['crv', 'kty', 'x', 'y']
  const canonical = Object.fromEntries(members.map((name) => [name, jwk[name]]))
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url')
}

/** A fresh proof key and a one-hour token of `alg` bound to it. */
export async function createDpopClient(fixture: Fixture, alg: BenchAlgorithm): Promise<DpopClient> {
  const proofAlg: ProofAlgorithm = alg === 'EdDSA' ? 'EdDSA' : 'ES256'
  const pair =
    proofAlg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = pair.publicKey.export({ format: 'jwk' }) as Record<string, string>
  const jkt = thumbprint(jwk)
  const now = Math.floor(Date.now() / 1000)
  const token = await new SignJWT({ roles: ['user'], scope: 'read write', cnf: { jkt } })
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('user-dpop')
    .setJti(`${alg}-dpop-${randomBytes(6).toString('base64url')}`)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(fixture.signers[alg])
  const ath = createHash('sha256').update(token).digest('base64url')
  return { alg: proofAlg, privateKey: pair.privateKey, jwk, jkt, token, ath }
}

/** One proof for `GET htu`, with a unique `jti` and the current `iat`. */
export function makeProof(client: DpopClient, htu: string, method = 'GET'): string {
  const header = b64({ typ: 'dpop+jwt', alg: client.alg, jwk: client.jwk })
  const jti = randomBytes(12).toString('base64url')
  const payload = b64({
    jti,
    htm: method,
    htu,
    iat: Math.floor(Date.now() / 1000),
    ath: client.ath,
  })
  const input = `${header}.${payload}`
  const key =
    client.alg === 'ES256'
      ? { key: client.privateKey, dsaEncoding: 'ieee-p1363' as const }
      : client.privateKey
  const signature = sign(client.alg === 'ES256' ? 'sha256' : null, Buffer.from(input), key)
  return `${input}.${signature.toString('base64url')}`
}

/**
 * Up to `count` proofs for `GET htu`, made within `maxMs` (bounded in count and time). The
 * proofs are good for the servers' `iat` window (60 s for jwt-gate): make them just before use.
 */
export function makeProofs(client: DpopClient, htu: string, count: number, maxMs: number) {
  const proofs: string[] = []
  const deadline = Date.now() + maxMs
  while (proofs.length < count && (proofs.length % 256 !== 0 || Date.now() < deadline)) {
    proofs.push(makeProof(client, htu))
  }
  return proofs
}
