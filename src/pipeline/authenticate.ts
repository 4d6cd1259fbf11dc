/**
 * One request through the pipeline, step by step:
 *
 * 1. find the token (header and cookie by the conflict rule, and a custom extractor: one method
 *    per request), or let the request pass anonymous when credentials are optional; CSRF for a
 *    cookie-borne token;
 * 2. serve it from the verified-token cache ({@link findCachedToken}), or else
 * 3. verify it: compact gate, issuer, algorithm and `typ`, key, signature
 *    ({@link verifySignedToken}); registered claims, claims schema, roles and scopes
 *    (`verify-claims.ts`); and remember it for the next request; an opaque token is introspected
 *    instead, and a JWT whose issuer wants it confirmed active too (`introspected-token.ts`);
 * 4. the certificate binding of a token bound to one (`mtls/binding.ts`), on every request, cache
 *    hit or not: the same token may come over another connection;
 * 5. revocation and user checks when configured (`account.ts`), then the context;
 * 6. report the outcome to the hooks (`hooks.ts`).
 *
 * Every step may be synchronous, and a request whose steps all are gets no promise: the steps
 * are joined by {@link continueWith} and {@link catchRejection}, which pass the request's
 * {@link Attempt} along instead of allocating closures.
 *
 * @module
 */
import { CredentialsRequiredError, InvalidRequestError, InvalidTokenError } from '../errors.js'
import type { AuthContext, TokenSource } from '../context/types.js'
import { checkCsrf } from '../request/csrf.js'
import { assertBearerTokenSyntax, extractCustom, extractFromSources } from '../request/extract.js'
import type { AuthRequest, ExtractedToken } from '../request/extract.js'
import { catchRejection, continueWith } from './maybe-promise.js'
import type { MaybePromise } from './maybe-promise.js'
import type { Pipeline } from './pipeline.js'
import { findCachedToken, rememberVerifiedToken } from './cached-token.js'
import { verifySignedToken } from './verify-signature.js'
import type { SignedToken } from './verify-signature.js'
import { checkClaims, parseClaimsSchema, toVerifiedToken } from './verify-claims.js'
import type { VerifiedToken } from './verified-cache.js'
import { buildContext, checkStoresAndBuildContext, hasStoreChecks } from './account.js'
import { reportAuthenticated, reportRejection } from './hooks.js'
import { checkCertificateBinding } from '../mtls/binding.js'
import { checkSenderConstraint } from '../dpop/binding.js'
import type { DpopOutcome } from '../dpop/binding.js'
import { rememberNextNonce } from '../dpop/next-nonce.js'
import type { ProofRequest } from '../dpop/proof.js'
import { readDpopCredentials, triedDpopScheme } from '../dpop/request.js'
import { confirmActive, opaqueIssuerFor, verifyOpaque } from './introspected-token.js'

/** A token found, with the DPoP proof when it came with the DPoP scheme. */
type FoundToken = ExtractedToken & { readonly proof?: string }

/** One request's token on its way through the steps. */
interface Attempt {
  readonly pipeline: Pipeline
  readonly token: string
  readonly source: TokenSource
  /** The request, for the binding step (its connection's certificate). */
  readonly req: AuthRequest
  /** The request's time, read once: every time rule of the request uses the same instant. */
  readonly nowMs: number
  /** The DPoP proof and the request it must name, for a token sent with the DPoP scheme. */
  readonly proof: ProofRequest | undefined
  /**
   * The payload once its signature is verified (set by this module only): a later rejection
   * (expired, wrong audience, revoked...) reports an authentic issuer and subject.
   */
  verifiedClaims: Readonly<Record<string, unknown>> | undefined
}

/**
 * Authenticates one request: the context, or undefined for an anonymous request in optional
 * mode, or a promise of them when a step had to wait. A rejection is thrown (or the promise
 * rejects) with an `AuthError` that carries the realm, after `onRejected` has seen it.
 */
export function authenticate(
  pipeline: Pipeline,
  req: AuthRequest,
): MaybePromise<AuthContext | undefined> {
  const found = catchRejection(findToken, rejectBeforeToken, pipeline, req)
  return continueWith(found, authenticateFoundToken, pipeline, req)
}

/**
 * The token of the configured sources or of the custom extractor (asynchronous), which runs
 * whenever there is one: a token it finds beside a source's is refused (one method per request).
 */
function findToken(pipeline: Pipeline, req: AuthRequest): MaybePromise<FoundToken | undefined> {
  const { config } = pipeline
  if (config.dpop !== undefined) {
    const dpop = readDpopCredentials(req)
    if (dpop !== undefined) return withDpopCredentials(pipeline, req, dpop.token, dpop.proof)
  }
  // The header token's syntax scan waits for the compact gate (see verifyFresh).
  const extracted = extractFromSources(req, config, true)
  if (config.extractToken !== undefined) return extractCustom(req, config, extracted)
  return extracted
}

/**
 * A token sent with the DPoP scheme: one method per request, so a cookie or custom extractor
 * carrying a token too makes the request ambiguous, as between the other sources.
 */
function withDpopCredentials(
  pipeline: Pipeline,
  req: AuthRequest,
  token: string,
  proof: string,
): MaybePromise<FoundToken | undefined> {
  const { config } = pipeline
  if (extractFromSources(req, config, true) !== undefined) {
    throw new InvalidRequestError(
      'ERR_AUTH_CREDENTIALS_AMBIGUOUS',
      'a DPoP Authorization header and another source both carry a token',
    )
  }
  const found: FoundToken = { token, source: 'header', proof }
  if (config.extractToken !== undefined) return extractCustom(req, config, found)
  return found
}

function authenticateFoundToken(
  extracted: FoundToken | undefined,
  pipeline: Pipeline,
  req: AuthRequest,
): MaybePromise<AuthContext | undefined> {
  const { config } = pipeline
  if (extracted === undefined) {
    if (config.credentialsRequired) rejectBeforeToken(new CredentialsRequiredError(), pipeline)
    return undefined
  }
  const { token, source } = extracted
  if (source === 'cookie' && config.csrf !== undefined) {
    try {
      checkCsrf(req, config.csrf)
    } catch (error) {
      reportRejection(config, error, source, undefined)
    }
  }
  const attempt: Attempt = {
    pipeline,
    token,
    source,
    req,
    nowMs: config.now(),
    proof:
      extracted.proof === undefined
        ? undefined
        : { proof: extracted.proof, method: req.method ?? '', target: requestTarget(req) },
    verifiedClaims: undefined,
  }
  return catchRejection(authenticateToken, rejectAttempt, attempt, undefined)
}

/** The cache step, then (on a miss) full verification; then the store checks and the context. */
function authenticateToken(attempt: Attempt): MaybePromise<AuthContext> {
  const cached = findCachedToken(attempt.pipeline.cache, attempt.token, attempt.nowMs)
  return continueWith(cached, authenticateCachedOrVerify, attempt, undefined)
}

function authenticateCachedOrVerify(
  hit: VerifiedToken | undefined,
  attempt: Attempt,
): MaybePromise<AuthContext> {
  // A hit goes straight on: the path most requests take, one step shorter.
  if (hit !== undefined && hit.issuer.introspection === undefined) {
    return checkStoresAndReport(hit, attempt)
  }
  if (hit !== undefined) return confirmAndReport(hit, attempt)
  const { pipeline, token, source, nowMs } = attempt
  const opaqueIssuer = opaqueIssuerFor(pipeline, token)
  if (opaqueIssuer !== undefined) {
    const verified = verifyOpaque(pipeline, opaqueIssuer, token, source, nowMs)
    return continueWith(verified, checkStoresAndReport, attempt, undefined)
  }
  const signed = verifyFresh(attempt)
  const verified = continueWith(signed, verifySignedClaims, attempt, undefined)
  return continueWith(verified, confirmAndReport, attempt, undefined)
}

/** A verified JWT, confirmed active when its issuer introspects JWTs too, then the stores. */
function confirmAndReport(verified: VerifiedToken, attempt: Attempt): MaybePromise<AuthContext> {
  attempt.verifiedClaims = verified.registered
  const confirmed = confirmActive(verified, attempt.token, attempt.nowMs)
  return continueWith(confirmed, checkStoresAndReport, attempt, undefined)
}

/**
 * The signature steps. A header token that fails them is scanned for whitespace and commas, so
 * that such a header is refused as malformed (400), as extraction would have refused it: the scan
 * runs only here because a token that passes the compact gate cannot hold either.
 */
function verifyFresh(attempt: Attempt): MaybePromise<SignedToken> {
  try {
    return verifySignedToken(attempt.pipeline, attempt.token)
  } catch (error) {
    if (attempt.source === 'header') assertBearerTokenSyntax(attempt.token)
    throw error
  }
}

function verifySignedClaims(signed: SignedToken, attempt: Attempt): MaybePromise<VerifiedToken> {
  attempt.verifiedClaims = signed.decoded.payload
  checkClaims(signed, attempt.nowMs)
  return continueWith(parseClaimsSchema(signed), rememberVerification, attempt, signed)
}

function rememberVerification(
  claims: unknown,
  attempt: Attempt,
  signed: SignedToken,
): VerifiedToken {
  const verified = toVerifiedToken(signed, claims)
  rememberVerifiedToken(attempt.pipeline, signed.decoded, verified, attempt.nowMs)
  return verified
}

/**
 * The binding, then the store checks, which make the context asynchronous; without them it is
 * built on the spot.
 */
function checkStoresAndReport(
  verified: VerifiedToken,
  attempt: Attempt,
): MaybePromise<AuthContext> {
  attempt.verifiedClaims = verified.registered
  const { dpop } = attempt.pipeline.config
  if (dpop === undefined) {
    // A gate that checks no proofs must not take a DPoP-bound token as a bearer token, as it
    // never takes a certificate-bound one without its certificate.
    if (verified.jkt !== undefined) {
      throw new InvalidTokenError('ERR_AUTH_DPOP_REQUIRED', 'DPoP-bound token; DPoP is off')
    }
    return checkStoresAndReportBound(undefined, verified, attempt)
  }
  const { proof, token, nowMs } = attempt
  const mode = verified.issuer.dpopMode
  const bound = checkSenderConstraint(dpop, proof, token, verified.jkt, nowMs, mode)
  return continueWith(bound, checkStoresAndReportBound, verified, attempt)
}

function checkStoresAndReportBound(
  bound: DpopOutcome | undefined,
  verified: VerifiedToken,
  attempt: Attempt,
): MaybePromise<AuthContext> {
  const { pipeline, token, source, req } = attempt
  const { config } = pipeline
  // A certificate-bound token needs its certificate whatever the scheme (throws otherwise).
  const binding = checkCertificateBinding(config.mtls, verified.registered.cnf, req)
  if (bound !== undefined) return checkStoresAndReportDpop(bound, verified, attempt)
  if (!hasStoreChecks(config)) {
    return reportAuthenticated(buildContext(config, verified, token, source, binding), config)
  }
  const context = checkStoresAndBuildContext(config, verified, token, source, binding)
  return continueWith(context, reportAuthenticated, config, undefined)
}

/** A DPoP request's context says how it was bound, and carries the next nonce, if one is due. */
async function checkStoresAndReportDpop(
  bound: DpopOutcome,
  verified: VerifiedToken,
  attempt: Attempt,
): Promise<AuthContext> {
  const { config } = attempt.pipeline
  const { token, source } = attempt
  const binding = { method: 'dpop', jkt: bound.jkt } as const
  const context = hasStoreChecks(config)
    ? await checkStoresAndBuildContext(config, verified, token, source, binding)
    : buildContext(config, verified, token, source, binding)
  if (bound.nextNonce !== undefined) rememberNextNonce(context, bound.nextNonce)
  return reportAuthenticated(context, config)
}

/** The request's path and query as received (Express: `originalUrl`, kept across routers). */
function requestTarget(req: AuthRequest): string {
  return req.originalUrl ?? req.url ?? ''
}

function rejectBeforeToken(error: unknown, pipeline: Pipeline, req?: AuthRequest): never {
  const { config } = pipeline
  const usedDpop = config.dpop !== undefined && req !== undefined && triedDpopScheme(req)
  return reportRejection(config, error, undefined, undefined, usedDpop)
}

function rejectAttempt(error: unknown, attempt: Attempt): never {
  const { config } = attempt.pipeline
  const usedDpop = attempt.proof !== undefined
  return reportRejection(config, error, attempt.source, attempt.verifiedClaims, usedDpop)
}
