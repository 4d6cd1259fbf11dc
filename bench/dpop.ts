/**
 * DPoP load for the benchmarks (RFC 9449): a client proof key, an access token bound to it
 * (`cnf.jkt`), and proofs made ahead of use, one per request. A server refuses a proof it has
 * seen (jwt-gate's replay store), so no proof is ever sent twice: a slice's request count is
 * bounded by the proofs made for it. Nothing here is ever a real credential.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import type { Request } from 'autocannon'
import { calculateJwkThumbprint } from 'jose'
import { signToken } from './fixture.js'
import type { BenchAlgorithm, Signer } from './fixture.js'

/** A client's DPoP key, its public JWK and the access token bound to it (`ath` its hash). */
export type DpopClient = Awaited<ReturnType<typeof createDpopClient>>

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A fresh proof key and a one-hour token of `alg`, signed by `signer`, bound to it. */
export async function createDpopClient(signer: Signer, alg: BenchAlgorithm) {
  // The proof algorithm: EdDSA with EdDSA tokens, ES256 with any other.
  const proofAlg: 'ES256' | 'EdDSA' = alg === 'EdDSA' ? 'EdDSA' : 'ES256'
  const pair =
    proofAlg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = pair.publicKey.export({ format: 'jwk' })
  const cnf = { jkt: await calculateJwkThumbprint(jwk) }
  const token = await signToken(signer, alg, { sub: 'user-dpop', cnf })
  const ath = createHash('sha256').update(token).digest('base64url')
  return { alg: proofAlg, privateKey: pair.privateKey, jwk, token, ath }
}

/** One proof for `GET htu`, with a unique `jti` and the current `iat`. */
export function makeProof(client: DpopClient, htu: string): string {
  const header = b64({ typ: 'dpop+jwt', alg: client.alg, jwk: client.jwk })
  const jti = randomBytes(12).toString('base64url')
  const iat = Math.floor(Date.now() / 1000)
  const input = `${header}.${b64({ jti, htm: 'GET', htu, iat, ath: client.ath })}`
  const es256 = client.alg === 'ES256'
  const key = es256
    ? { key: client.privateKey, dsaEncoding: 'ieee-p1363' as const }
    : client.privateKey
  const signature = sign(es256 ? 'sha256' : null, Buffer.from(input), key)
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

/** The headers of a DPoP request: the bound token and one proof. */
export const dpopHeaders = (client: DpopClient, proof: string) => ({
  authorization: `DPoP ${client.token}`,
  dpop: proof,
})

/** Proofs made ahead of a slice of load, per second of it, and the time allowed to make them. */
const PROOFS_PER_SECOND = 8_000
const PROOF_MS_PER_SECOND = 3_000

/**
 * A slice's pool of proofs for `url`, one per request, taken in turn by every connection
 * (autocannon's `setupRequest`; when they run out the slice has already stopped). `cap` is the
 * request cap: the proofs made less those the connections may have in flight.
 */
export function proofPool(client: DpopClient, url: string, seconds: number, connections: number) {
  const count = Math.ceil(seconds * PROOFS_PER_SECOND)
  const proofs = makeProofs(client, url, count, seconds * PROOF_MS_PER_SECOND)
  let next = 0
  const request: Request = {
    method: 'GET',
    path: '/',
    setupRequest: (req) => ({
      ...req,
      headers: dpopHeaders(client, proofs[Math.min(next++, proofs.length - 1)]!),
    }),
  }
  return { cap: proofs.length - 2 * connections, options: { requests: [request] } }
}
