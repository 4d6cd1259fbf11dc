/**
 * jwt-gate: cookie and bearer JWT authentication for Express, verified against trusted external
 * issuers, with typed claims, optional user and revocation checks, and route guards.
 *
 * @packageDocumentation
 */
import './express/augment.js'

export { authenticate } from './express/authenticate.js'
export type { AuthenticateMiddleware } from './express/authenticate.js'
export { declareRequestAuth } from './express/declare-auth.js'
export type { AppWithRequestPrototype } from './express/declare-auth.js'
export {
  requireAuth,
  requireRoles,
  requireAnyRole,
  requireScopes,
  requireAnyScope,
  requireClaim,
  requireClaimIncludes,
  requirePolicy,
} from './express/guards.js'
export { authErrorHandler } from './express/error-handler.js'
export type { AuthErrorHandlerOptions } from './express/error-handler.js'

export { createAuthenticator } from './pipeline/authenticator.js'
export type { Authenticator, AuthRequest } from './pipeline/authenticator.js'
export {
  isAuthenticated,
  hasAllRoles,
  hasAnyRole,
  hasAllScopes,
  hasAnyScope,
  claimEquals,
  claimIncludes,
  policy,
} from './guards.js'
export type { AuthCheck, AuthPredicate, ClaimValue } from './guards.js'
export type { ClaimPath } from './claims/mapping.js'
export type { StandardSchemaV1, StandardSchemaIssue, StandardSchemaResult } from './claims/parse.js'
export { extractToken, fromAuthorizationHeader, fromCookie } from './request/extract.js'
export type { ExtractedToken, ExtractionPolicy } from './request/extract.js'
export { decodeStdBase64 } from './keys/import-key.js'
export { SUPPORTED_ALGORITHMS, HMAC_ALGORITHMS, algorithmsForKey } from './jws/algorithms.js'
export { defaultClaims, clusterCockpitClaims, authOTronClaims } from './claims/presets.js'
export type { ClusterCockpitClaims, AuthOTronClaims } from './claims/presets.js'

export {
  AuthError,
  AuthConfigError,
  CredentialsRequiredError,
  InvalidRequestError,
  InvalidTokenError,
  InsufficientScopeError,
  ServiceUnavailableError,
  ServerMisconfiguredError,
  buildChallenge,
  isAuthError,
} from './errors.js'
export type { AuthErrorCode, AuthErrorOptions, BearerErrorValue, ClaimIssue } from './errors.js'

export type {
  AuthContext,
  AuthTypes,
  AuthClaims,
  AuthUser,
  DefaultClaims,
  DeepReadonly,
  TokenSource,
} from './context/types.js'
export type {
  Algorithm,
  AuthenticateOptions,
  ClaimsPreset,
  ConflictPolicy,
  Ed25519RawKeySource,
  ExtractorRequest,
  IssuerOptions,
  JwkKeySource,
  JwksKeySource,
  KeySource,
  PemKeySource,
  RejectionEvent,
  RemoteJwksKeySource,
  RevocationOptions,
  SecretKeySource,
  SourceName,
  UserCheckOptions,
  VerifiedCacheOptions,
} from './options/types.js'
export type { RevocationQuery, RevocationStore, UserRecord, UserStore } from './stores/types.js'
