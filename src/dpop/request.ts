/**
 * Reading DPoP credentials (RFC 9449 §7.1): `Authorization: DPoP <token>` (scheme in any case)
 * and exactly one `DPoP` proof header. Duplicate lines are seen on Node's raw header list, because
 * `req.headers` keeps one of them.
 *
 * @module
 */
import { InvalidRequestError } from '../errors.js'
import { DpopProofError } from './errors.js'
import { countHeaderLines } from '../request/extract.js'
import type { AuthRequest } from '../request/extract.js'
import { readHeader } from '../request/headers.js'

/** A token sent with the DPoP scheme, and its proof. */
export interface DpopCredentials {
  readonly token: string
  readonly proof: string
}

/** `token68` (RFC 9110 §11.2): what a DPoP-scheme credential may hold. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * The request's DPoP credentials; undefined when the `Authorization` header uses another scheme
 * (or is absent). Throws 400 for a malformed or repeated `Authorization` header and 401
 * `invalid_dpop_proof` for a missing or repeated `DPoP` header.
 */
export function readDpopCredentials(req: AuthRequest): DpopCredentials | undefined {
  const value = readHeader(req, 'authorization', 'Authorization')
  if (typeof value !== 'string' || !isDpopScheme(value)) return undefined // absent or repeated too
  const space = value.indexOf(' ')
  if (countHeaderLines(req.rawHeaders, 'authorization') > 1) {
    throw new InvalidRequestError(
      'ERR_AUTH_CREDENTIALS_AMBIGUOUS',
      'multiple Authorization headers',
    )
  }
  const token = value.slice(space).trimStart()
  if (!TOKEN68.test(token)) {
    throw new InvalidRequestError(
      'ERR_AUTH_HEADER_MALFORMED',
      'malformed DPoP Authorization header',
    )
  }
  return { token, proof: readProofHeader(req) }
}

/** Whether an `Authorization` value uses the DPoP scheme (in any case). */
function isDpopScheme(value: string): boolean {
  return value.indexOf(' ') === 4 && value.slice(0, 4).toLowerCase() === 'dpop'
}

/**
 * Whether the request tried the DPoP scheme, even with a malformed credential: its challenge then
 * carries the error (RFC 9449 §7.1), not the `Bearer` one.
 */
export function triedDpopScheme(req: AuthRequest): boolean {
  const value = readHeader(req, 'authorization', 'Authorization')
  return typeof value === 'string' && isDpopScheme(value)
}

function readProofHeader(req: AuthRequest): string {
  const proof = readHeader(req, 'dpop', 'DPoP')
  if (Array.isArray(proof) || countHeaderLines(req.rawHeaders, 'dpop') > 1) {
    throw new DpopProofError('ERR_AUTH_DPOP_PROOF_INVALID', 'more than one DPoP header')
  }
  if (proof === undefined || proof === '') {
    throw new DpopProofError('ERR_AUTH_DPOP_PROOF_INVALID', 'missing DPoP proof header')
  }
  return proof
}
