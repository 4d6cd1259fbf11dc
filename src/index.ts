/**
 * jwt-gate: cookie and bearer JWT authentication for Express, verified against trusted external
 * issuers, with typed claims, optional user and revocation checks, and route guards.
 *
 * @packageDocumentation
 */

// Where things live. Each folder has one reason to change; this file changes only with the API.
//   options/   the options: types.ts (what a user writes), resolve.ts (the zod schema, defaults,
//              start-up refusals and warnings), suggest.ts ("did you mean" for option names)
//   request/   reading the token: extract.ts (header, cookie, sources and the conflict rule),
//              headers.ts, csrf.ts, cookie-name.ts (the cookie-name grammar)
//   jws/       the verification path, hand-written for speed and tested against jose:
//              algorithms.ts (the ALGORITHMS table, key fit, the alg rule), compact.ts
//              (compact form, header, the typ rule), json.ts (strict JSON), verify.ts and hmac.ts
//              (signatures)
//   keys/      verification keys: import-key.ts (PEM, JWK, raw), key-resolver.ts (the key and the
//              locked algorithms of an issuer), remote-jwks.ts (JWKS over HTTP), secret-checks.ts
//   claims/    registered.ts (the issuer rule, aud, exp, nbf, iat, max age), parse.ts (the
//              claims schema), mapping.ts (roles, scopes and username paths), presets.ts
//              (ready-made schemas)
//   pipeline/  authenticator.ts (createAuthenticator: issuer selection and the order of the
//              steps), verified-cache.ts (the verified-token cache)
//   checks/    user.ts (the user check), revocation.ts, store-calls.ts (timeouts, 503s)
//   context/   what req.auth carries: types.ts (AuthContext) and auth-context.ts (its class)
//   errors.ts  every error class and code; guards.ts the framework-free authorization checks;
//   warnings.ts the once-per-process start-up warnings
//   express/   the only importer of express: middleware, guards, error handler, req.auth typing
//   stores/    user and revocation stores behind the contracts in types.ts, one folder per driver,
//              published as jwt-gate/stores/* (package.json `exports`); cache/ for lookup caches
//   cli/       the jwt-gate command (package.json `bin`), built on the library
// eslint.config.js keeps these boundaries (express, zod, jose's runtime, node:crypto).
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
