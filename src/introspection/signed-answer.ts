/**
 * Signed introspection answers (RFC 9701): a JWT of type `token-introspection+jwt`, signed with
 * one of the issuer's keys, whose `iss` is the issuer, whose `aud` names this client, and whose
 * `token_introspection` member is the answer. It is checked by the same compact gate, algorithm
 * lock and signature code as access tokens. Any failure is the endpoint's (503), never the
 * token's.
 *
 * @module
 */
import { checkTyp, decodeCompact } from '../jws/compact.js'
import { allowedAlgorithm } from '../jws/algorithms.js'
import { verifySignature } from '../jws/verify.js'
import type { KeyResolver } from '../keys/key-resolver.js'
import { isObject, unusable } from './answer.js'

/** The `Content-Type` of a signed answer (RFC 9701 §4). */
export const SIGNED_ANSWER_TYPE = 'application/token-introspection+jwt'

const TYP = 'token-introspection+jwt'
const TYP_RULE = { accepted: new Set([TYP]), plainJwt: false }

/** The answer inside a signed one, once its signature and claims are checked. */
export async function openSignedAnswer(
  jwt: string,
  keys: KeyResolver,
  issuer: string,
  clientId: string,
  maxBytes: number,
): Promise<unknown> {
  let payload: Record<string, unknown>
  try {
    const decoded = decodeCompact(jwt.trim(), maxBytes, TYP_RULE.accepted)
    checkTyp(decoded.header.typ, TYP_RULE)
    allowedAlgorithm(decoded.header.alg, keys.algorithms)
    const key = await keys.getKey(decoded.header)
    verifySignature(decoded.token, key, decoded.header.alg, decoded.signature)
    payload = decoded.payload
  } catch (error) {
    throw unusable('the signed answer does not verify', error)
  }
  if (payload.iss !== issuer) throw unusable("the signed answer's 'iss' is not the issuer")
  const aud = payload.aud
  const audiences = Array.isArray(aud) ? (aud as unknown[]) : [aud]
  if (!audiences.includes(clientId)) throw unusable("the signed answer's 'aud' is not the client")
  if (typeof payload.iat !== 'number') throw unusable("the signed answer has no 'iat'")
  if (!isObject(payload.token_introspection)) {
    throw unusable("the signed answer has no 'token_introspection' object")
  }
  return payload.token_introspection
}
