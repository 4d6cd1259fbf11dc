/**
 * The steps from a token string to a verified signature, in order: the compact gate (decode,
 * `typ` against every issuer), the trusted issuer its `iss` names, that issuer's algorithms and
 * `typ`, its key for the header, and the signature. Nothing in the payload is trusted before the
 * last step passes.
 *
 * @module
 */
import { checkTyp, decodeCompact } from '../jws/compact.js'
import type { DecodedToken } from '../jws/compact.js'
import { allowedAlgorithm } from '../jws/algorithms.js'
import { verifySignature } from '../jws/verify.js'
import type { VerificationKey } from '../keys/remote-jwks.js'
import { selectTrustedIssuer } from '../claims/registered.js'
import type { ResolvedIssuer } from '../options/resolve.js'
import { continueWith } from './maybe-promise.js'
import type { MaybePromise } from './maybe-promise.js'
import type { Pipeline } from './pipeline.js'

/** A token whose signature is verified, with the issuer and key that verified it. */
export interface SignedToken {
  readonly decoded: DecodedToken
  readonly issuer: ResolvedIssuer
  readonly key: VerificationKey
}

/**
 * Decodes the token, picks its issuer, and verifies its signature with the issuer's key.
 * Synchronous for a static key; a remote key set may have to fetch the key first, and an issuer
 * resolver may have to answer for a new tenant.
 */
export function verifySignedToken(pipeline: Pipeline, token: string): MaybePromise<SignedToken> {
  const decoded = decodeToken(pipeline, token)
  const issuer = selectIssuer(pipeline, decoded)
  return continueWith(issuer, verifyWithIssuer, pipeline, decoded)
}

function verifyWithIssuer(
  issuer: ResolvedIssuer,
  pipeline: Pipeline,
  decoded: DecodedToken,
): MaybePromise<SignedToken> {
  checkAlgorithmAndType(decoded, issuer)
  const key = issuer.keys.getKey(decoded.header)
  // Counted here, where a key was found at once, so no per-request object carries the counter.
  if (!(key instanceof Promise)) pipeline.signatureChecks.count++
  return continueWith(key, checkSignature, decoded, issuer)
}

/** The compact gate: form, length, header rules, and `typ` against the union of every issuer's. */
function decodeToken({ config, knownHeaders }: Pipeline, token: string): DecodedToken {
  return decodeCompact(token, config.maxTokenLength, config.extraTyp, knownHeaders)
}

/**
 * The configured issuer that the (still unverified) `iss` names; else, with an issuer resolver,
 * the tenant it names (`tenant-issuers.ts`). A configured issuer always wins.
 */
function selectIssuer(
  { config, tenants }: Pipeline,
  decoded: DecodedToken,
): MaybePromise<ResolvedIssuer> {
  const { iss } = decoded.payload
  if (tenants !== undefined && typeof iss === 'string' && !config.issuers.has(iss)) {
    return tenants.lookup(iss, config.now())
  }
  return selectTrustedIssuer(decoded.payload, config.issuers, config.issuerWithoutIss)
}

/**
 * The issuer's algorithms, then its `typ` set: the compact gate checked `typ` against every
 * issuer's set, before the issuer was known; now that it is, this issuer must accept it too.
 */
function checkAlgorithmAndType({ header }: DecodedToken, issuer: ResolvedIssuer): void {
  allowedAlgorithm(header.alg, issuer.keys.algorithms)
  checkTyp(header.typ, issuer.typ)
}

function checkSignature(
  key: VerificationKey,
  decoded: DecodedToken,
  issuer: ResolvedIssuer,
): SignedToken {
  verifySignature(decoded.token, key, decoded.header.alg, decoded.signature)
  return { decoded, issuer, key }
}
