/**
 * The DPoP proof check of RFC 9449 §4.3, one rule at a time, each failing with its own message:
 * compact JWS, `typ`, an asymmetric `alg` from the allow-list, a public `jwk`, the signature by
 * that key, `htm`, `htu`, `iat`, `jti`, `ath` and, with server nonces, `nonce`. The `jti` replay
 * check and the token's binding come after (`binding.ts`): a store write only for a proof that
 * is otherwise valid.
 *
 * @module
 */
import { DpopProofError } from './errors.js'
import { decodeCompact, normalizeTyp } from '../jws/compact.js'
import type { DecodedToken } from '../jws/compact.js'
import { verifySignature } from '../jws/verify.js'
import { htuMatches } from './origin.js'
import { isPublicJwk } from './proof-keys.js'
import type { DpopSettings } from './settings.js'
import { accessTokenHash, jwkThumbprint } from './thumbprint.js'

/** Longest accepted proof: an RSA-4096 key in the header fits well below it. */
export const MAX_PROOF_LENGTH = 4096
/** Longest accepted `jti` (RFC 9449 asks for at least 96 bits of randomness, a few dozen chars). */
export const MAX_JTI_LENGTH = 256

const DPOP_TYP = 'dpop+jwt'
const DPOP_TYPES: ReadonlySet<string> = new Set([DPOP_TYP])

/** What a request offers for the check. */
export interface ProofRequest {
  readonly proof: string
  /** The HTTP method, as received. */
  readonly method: string
  /** The request target (origin-form path and query, as Express's `originalUrl`). */
  readonly target: string
}

/** A proof that passed every check but the replay check. */
export interface CheckedProof {
  /** The RFC 7638 thumbprint of the proof's key. */
  readonly jkt: string
  readonly jti: string
  readonly iat: number
  /** With server nonces: whether the proof's nonce is of an earlier step (a new one is due). */
  readonly staleNonce: boolean
  /**
   * The proof's decoded form when its header is not known yet: remembered (see `ProofKeys`) once
   * the proof's key is found to be the token's, so only a client holding a token can add one.
   */
  readonly newHeader: DecodedToken | undefined
}

function invalid(message: string): DpopProofError {
  return new DpopProofError('ERR_AUTH_DPOP_PROOF_INVALID', message)
}

/** Checks one proof for one request and access token, at `nowMs`; throws on the first failure. */
export function checkProof(
  settings: DpopSettings,
  request: ProofRequest,
  accessToken: string,
  nowMs: number,
): CheckedProof {
  const decoded = decodeProof(request.proof, settings)
  const { header, payload } = decoded
  const typ = header.typ
  if (typeof typ !== 'string' || normalizeTyp(typ) !== DPOP_TYP) {
    throw invalid("DPoP proof 'typ' must be dpop+jwt")
  }
  if (!settings.algorithms.has(header.alg)) throw invalid('DPoP proof algorithm not accepted')
  const { jkt, known } = checkSignature(settings, decoded)
  if (payload.htm !== request.method) throw invalid("DPoP proof 'htm' does not match the method")
  if (
    typeof payload.htu !== 'string' ||
    !htuMatches(payload.htu, settings.origin, request.target)
  ) {
    throw invalid("DPoP proof 'htu' does not match the request URL")
  }
  const iat = checkIat(payload.iat, settings.iatWindow, nowMs)
  const { jti } = payload
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw invalid("DPoP proof 'jti' missing or invalid")
  }
  if (payload.ath !== accessTokenHash(accessToken)) {
    throw invalid("DPoP proof 'ath' does not match the access token")
  }
  const staleNonce = checkNonce(settings, payload.nonce, nowMs)
  return { jkt, jti, iat, staleNonce, newHeader: known ? undefined : decoded }
}

function decodeProof(proof: string, settings: DpopSettings): DecodedToken {
  if (proof.length > MAX_PROOF_LENGTH) throw invalid('DPoP proof too long')
  try {
    return decodeCompact(proof, MAX_PROOF_LENGTH, DPOP_TYPES, settings.keys.headers)
  } catch {
    // The compact gate's own codes speak of the access token; this is the proof.
    throw invalid('malformed DPoP proof')
  }
}

/**
 * The proof's `jwk` checked, imported (cached) and verifying the signature: its thumbprint, and
 * whether its header was known (checked when a proof of it first verified).
 */
function checkSignature(
  settings: DpopSettings,
  decoded: DecodedToken,
): { jkt: string; known: boolean } {
  const { header } = decoded
  const { jwk } = header
  if (jwk === undefined) throw invalid("DPoP proof has no 'jwk'")
  // A known header was checked when its proof verified; its thumbprint was kept with it.
  const remembered = decoded.knownHeader ? settings.keys.thumbprintOf(header) : undefined
  if (remembered === undefined && !isPublicJwk(jwk)) {
    throw invalid("DPoP proof 'jwk' must be a public key")
  }
  const jkt = remembered ?? jwkThumbprint(jwk as Readonly<Record<string, unknown>>)
  const key =
    jkt === undefined ? undefined : settings.keys.get(jkt, jwk as Readonly<Record<string, unknown>>)
  if (jkt === undefined || key === undefined) throw invalid("DPoP proof 'jwk' is not a usable key")
  try {
    verifySignature(decoded.token, key, header.alg, decoded.signature)
  } catch {
    throw invalid('invalid DPoP proof signature')
  }
  return { jkt, known: remembered !== undefined }
}

function checkIat(iat: unknown, windowSeconds: number, nowMs: number): number {
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw invalid("DPoP proof 'iat' missing or invalid")
  }
  if (Math.abs(iat - nowMs / 1000) > windowSeconds) {
    throw invalid("DPoP proof 'iat' outside the accepted window")
  }
  return iat
}

/** With server nonces: the nonce must be one of this gate's, of the current or previous step. */
function checkNonce(settings: DpopSettings, nonce: unknown, nowMs: number): boolean {
  const { nonces } = settings
  if (nonces === undefined) return false
  const step = nonces.acceptedStep(nonce, nowMs)
  if (step === undefined) {
    const error = new DpopProofError(
      'ERR_AUTH_DPOP_NONCE_REQUIRED',
      nonce === undefined ? 'DPoP proof needs a server nonce' : 'DPoP proof nonce is not current',
    )
    error.dpopNonce = nonces.current(nowMs)
    throw error
  }
  return step !== nonces.step(nowMs)
}
