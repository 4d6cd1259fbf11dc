/**
 * The sender-constraint step of a gate with DPoP, after the access token is verified (or found
 * in the verified-token cache, which never holds proofs): the scheme the request used against the
 * mode and the token's `cnf.jkt`, the proof (`proof.ts`), its key against `cnf.jkt`, and last the
 * proof's `jti` in the replay store. Runs on every request: a cached token still needs a fresh
 * proof.
 *
 * @module
 */
import { InvalidTokenError } from '../errors.js'
import { DpopProofError } from './errors.js'
import { rememberOnce } from '../checks/store-calls.js'
import { createHash } from 'node:crypto'
import { checkProof } from './proof.js'
import type { CheckedProof, ProofRequest } from './proof.js'
import type { DpopSettings } from './settings.js'

/** How a verified DPoP request was bound, and the nonce to send with the answer, if any. */
export interface DpopOutcome {
  readonly jkt: string
  /** A new server nonce (`DPoP-Nonce`), when the proof's is of an earlier step. */
  readonly nextNonce: string | undefined
}

/**
 * Checks the request's binding. Resolves to the outcome of a DPoP request, to undefined for an
 * accepted bearer request, or throws.
 *
 * @param request - the proof and the request it must name; undefined for the `Bearer` scheme.
 * @param jkt - the verified token's `cnf.jkt`, if it has one.
 * @param issuerMode - the token's issuer's own mode (`issuers[i].dpop`), over the gate's.
 */
export function checkSenderConstraint(
  settings: DpopSettings,
  request: ProofRequest | undefined,
  accessToken: string,
  jkt: string | undefined,
  nowMs: number,
  issuerMode?: DpopSettings['mode'],
): Promise<DpopOutcome> | undefined {
  if (request === undefined) {
    if (jkt !== undefined) {
      throw new InvalidTokenError(
        'ERR_AUTH_DPOP_REQUIRED',
        'DPoP-bound token sent as a bearer token',
      )
    }
    if ((issuerMode ?? settings.mode) === 'required') {
      throw new InvalidTokenError('ERR_AUTH_DPOP_REQUIRED', 'DPoP required')
    }
    return undefined
  }
  const checked = checkProof(settings, request, accessToken, nowMs)
  if (jkt === undefined) {
    throw new InvalidTokenError('ERR_AUTH_DPOP_BINDING_MISMATCH', 'token is not DPoP-bound')
  }
  if (checked.jkt !== jkt) {
    throw new InvalidTokenError(
      'ERR_AUTH_DPOP_BINDING_MISMATCH',
      'DPoP proof key does not match the token binding',
    )
  }
  const { newHeader } = checked
  if (newHeader !== undefined) settings.keys.rememberHeader(newHeader.token, newHeader.header, jkt)
  return rememberProof(settings, checked, nowMs)
}

/**
 * Records the proof's `jti` until its `iat` leaves the window; a `jti` already recorded is a
 * replay. The key is namespaced and hashed: fixed length, and no client text reaches the store.
 */
async function rememberProof(
  settings: DpopSettings,
  checked: CheckedProof,
  nowMs: number,
): Promise<DpopOutcome> {
  const key = `dpop:${createHash('sha256').update(`${checked.jkt}\0${checked.jti}`).digest('base64url')}`
  const expiresAt = Math.ceil(checked.iat + settings.iatWindow)
  const fresh = await rememberOnce(settings.replayStore, key, expiresAt, settings.storeTimeout)
  if (!fresh) throw new DpopProofError('ERR_AUTH_DPOP_REPLAYED', 'DPoP proof replayed')
  const nonces = settings.nonces
  return {
    jkt: checked.jkt,
    nextNonce: checked.staleNonce && nonces !== undefined ? nonces.current(nowMs) : undefined,
  }
}
