/**
 * The introspection steps (RFC 7662): an opaque token (one that is not compact JWS) goes to the one
 * issuer configured for opaque tokens, whose endpoint's answer becomes the token's claims; those
 * then pass the same claim rules, claims schema and role and scope mapping as a JWT's payload. A
 * JWT whose issuer introspects JWTs too is confirmed active after its local verification, cache
 * hit or not. Answers are kept by the issuer's introspector (`introspection/introspector.ts`); the
 * store checks after these steps run on every request.
 *
 * @module
 */
import { InvalidTokenError } from '../errors.js'
import { checkRegisteredClaims, checkTimeWindow } from '../claims/registered.js'
import { parseClaims } from '../claims/parse.js'
import type { IntrospectionAnswer } from '../introspection/answer.js'
import type { ResolvedIssuer } from '../options/resolve.js'
import { assertBearerTokenSyntax } from '../request/extract.js'
import type { TokenSource } from '../context/types.js'
import { continueWith } from './maybe-promise.js'
import type { MaybePromise } from './maybe-promise.js'
import type { Pipeline } from './pipeline.js'
import type { VerifiedToken } from './verified-cache.js'
import { verifiedTokenOf } from './verify-claims.js'

/** Three non-empty base64url segments: what the JWS path takes; anything else is opaque. */
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/

/** RFC 6750 §2.1 `b64token`: what an opaque token may be made of. */
const B64TOKEN = /^[\w\-.~+/]+=*$/

/** An opaque token has no protected header: its context's `header` is empty. */
const NO_HEADER = Object.freeze({}) as VerifiedToken['header']

/** The checked answers' results, so a held answer is mapped once (claims schema, roles, scopes). */
const mapped = new WeakMap<IntrospectionAnswer, VerifiedToken>()

/** The issuer that takes `token` as opaque, when there is one and the token is not compact JWS. */
export function opaqueIssuerFor(pipeline: Pipeline, token: string): ResolvedIssuer | undefined {
  const issuer = pipeline.config.opaqueIssuer
  return issuer === undefined || COMPACT_JWS.test(token) ? undefined : issuer
}

/**
 * An opaque token's verification: its form, then the issuer's answer, its claims checked and
 * mapped. Synchronous when the answer is held.
 */
export function verifyOpaque(
  pipeline: Pipeline,
  issuer: ResolvedIssuer,
  token: string,
  source: TokenSource,
  nowMs: number,
): MaybePromise<VerifiedToken> {
  if (token.length > pipeline.config.maxTokenLength) {
    throw new InvalidTokenError('ERR_AUTH_TOKEN_TOO_LONG', 'token too long')
  }
  if (source === 'header') assertBearerTokenSyntax(token)
  if (!B64TOKEN.test(token))
    throw new InvalidTokenError('ERR_AUTH_TOKEN_MALFORMED', 'malformed token')
  const introspector = issuer.introspection!
  const answer = introspector.lookup(token, 'opaque', nowMs)
  return continueWith(answer, mapAnswer, issuer, nowMs)
}

function mapAnswer(
  answer: IntrospectionAnswer,
  issuer: ResolvedIssuer,
  nowMs: number,
): MaybePromise<VerifiedToken> {
  if (!answer.active) throw inactive()
  const known = mapped.get(answer)
  if (known !== undefined) {
    checkTimeWindow(known.registered, issuer.policy, nowMs / 1000)
    return known
  }
  const claims = answer.claims!
  // The JWT profile's own rules (RFC 9068: typ, jti...) are about JWTs, not about answers.
  checkRegisteredClaims(claims, { ...issuer.policy, profileClaims: undefined }, nowMs / 1000)
  const parsed = issuer.schema === undefined ? claims : parseClaims(issuer.schema, claims)
  return continueWith(parsed, toIntrospectedToken, answer, issuer)
}

function toIntrospectedToken(
  parsed: unknown,
  answer: IntrospectionAnswer,
  issuer: ResolvedIssuer,
): VerifiedToken {
  const payload = answer.claims!
  const verified = verifiedTokenOf(issuer, NO_HEADER, payload, parsed, undefined, 'introspection')
  mapped.set(answer, verified)
  return verified
}

/**
 * A verified JWT of an issuer that introspects JWTs too, once its endpoint says it is active (and
 * about the same subject); others pass through untouched.
 */
export function confirmActive(
  verified: VerifiedToken,
  token: string,
  nowMs: number,
): MaybePromise<VerifiedToken> {
  const introspector = verified.issuer.introspection
  if (introspector === undefined || !introspector.jwt) return verified
  return continueWith(introspector.lookup(token, 'jwt', nowMs), sameToken, verified, undefined)
}

function sameToken(answer: IntrospectionAnswer, verified: VerifiedToken): VerifiedToken {
  if (!answer.active) throw inactive()
  const sub = answer.claims?.sub
  if (sub !== undefined && sub !== verified.registered.sub) {
    throw new InvalidTokenError('ERR_AUTH_TOKEN_INACTIVE', 'introspection names another subject')
  }
  return verified
}

function inactive(): InvalidTokenError {
  return new InvalidTokenError('ERR_AUTH_TOKEN_INACTIVE', 'token inactive')
}
