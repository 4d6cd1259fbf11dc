/**
 * jwt-gate: cookie and bearer JWT authentication for Express, verified against trusted external
 * issuers, with typed claims, optional user and revocation checks, and route guards.
 *
 * @packageDocumentation
 */

// Where things live. Each folder has one reason to change; this file changes only with the API.
//   options/   types.ts (what a user writes, every default), schema.ts and key-schema.ts (the zod
//              schema, checked against types.ts by the compiler through shape.ts), parse.ts (its
//              errors), resolve.ts and resolve-issuer.ts (key import, defaults, start-up
//              refusals and warnings), suggest.ts ("did you mean" for option names),
//              tenant-types.ts and resolve-tenant.ts (the issuer resolver's option and answers),
//              dpop-types.ts, dpop-schema.ts and resolve-dpop.ts (the dpop option)
//   request/   reading the token: extract.ts (header, cookie, sources and the conflict rule),
//              cookie-header.ts, headers.ts, csrf.ts, cookie-name.ts (the cookie-name grammar)
//   jws/       the verification path, hand-written for speed and tested against jose:
//              algorithms.ts (the ALGORITHMS table, key fit, the alg rule), compact.ts
//              (compact form, header, the typ rule), json.ts (strict JSON), verify.ts and hmac.ts
//              (signatures)
//   keys/      verification keys: import-key.ts (PEM, JWK, raw), key-resolver.ts (the key and the
//              locked algorithms of an issuer), remote-jwks.ts (JWKS over HTTP), secret-checks.ts
//   claims/    registered.ts (the issuer rule, aud, exp, nbf, iat, max age), parse.ts (the
//              claims schema), mapping.ts (roles, scopes and username paths), presets.ts
//              (ready-made schemas)
//   pipeline/  authenticate.ts (the steps in order), verify-signature.ts (compact gate, issuer,
//              alg, typ, key, signature), verify-claims.ts, cached-token.ts, account.ts (the
//              store checks), hooks.ts, authenticator.ts (createAuthenticator), verified-cache.ts,
//              tenant-issuers.ts (issuers found by an unknown iss through issuerResolver)
//   checks/    user.ts (the user check), revocation.ts, store-calls.ts (timeouts, 503s)
//   dpop/      DPoP (RFC 9449): request.ts (the DPoP scheme and proof header), proof.ts (the proof
//              checks), binding.ts (mode, cnf.jkt, the replay store), origin.ts (htu), nonce.ts
//              (stateless server nonces), proof-keys.ts, thumbprint.ts (RFC 7638), errors.ts
//   context/   what req.auth carries: types.ts (AuthContext) and auth-context.ts (its class)
//   metadata/  RFC 9728 protected-resource metadata: resource.ts (the resource rule, the
//              well-known path), document.ts, endpoint.ts (method, path, headers), scopes.ts
//              (the scope guards' registry), options.ts (resourceMetadata's type)
//   errors.ts  every error class and code; challenge.ts the WWW-Authenticate challenge;
//   guards.ts  the checks behind the Express guards; warnings.ts the once-per-process warnings
//   express/   the only importer of express: middleware, guards, error handler, req.auth typing
//   stores/    user and revocation stores behind the contracts in types.ts, one folder per driver,
//              published as jwt-gate/stores/* (package.json `exports`); cache/ for lookup caches
//   cli/       the jwt-gate command (package.json `bin`), built on the public API only
// eslint.config.js keeps these boundaries (express, zod, jose's runtime, node:crypto) and the
// size limits (300 lines a file, about 60 a function).
import './express/augment.js'

// The public surface: 45 names, each group here for a reason a user has. Everything else is
// internal; the repository's own tools (CLI, example app, benchmark, tests) import it by path.
// api/jwt-gate.api.md lists every export with its signature; `npm run api:check` guards it.

// The middleware, its result type, and the opt-in that declares req.auth once per app.
export { authenticate } from './express/authenticate.js'
export type { AuthenticateMiddleware } from './express/authenticate.js'
export { declareRequestAuth } from './express/declare-auth.js'
// The guards: the one authorization vocabulary (custom rules go through requirePolicy).
export {
  requireAuth,
  requireRoles,
  requireAnyRole,
  requireScopes,
  requireAnyScope,
  requireClaim,
  requireClaimIncludes,
  requirePolicy,
  requireStepUp,
} from './express/guards.js'
// Renders jwt-gate's errors (problem+json) and passes every other error on.
export { authErrorHandler } from './express/error-handler.js'

// The framework-free core, for servers other than Express (and for tests without HTTP).
export { createAuthenticator } from './pipeline/authenticator.js'
// Its request and readiness types are `Parameters<Authenticator['authenticate']>[0]` and
// `ReturnType<Authenticator['readiness']>`: derived, not exported.
export type { Authenticator } from './pipeline/authenticator.js'

// The options: what users write, typed; a key source is one member of the KeySource union.
export type {
  Algorithm,
  AuthenticateOptions,
  IssuerOptions,
  KeySource,
  RejectionEvent,
} from './options/types.js'
// The algorithm names, to validate a list from the environment before building the options.
export { SUPPORTED_ALGORITHMS } from './jws/algorithms.js'
// Ready-made claims schemas, and the claims types they produce (for AuthContext<…>).
export { defaultClaims, clusterCockpitClaims, authOTronClaims } from './claims/presets.js'
export type { ClusterCockpitClaims, AuthOTronClaims } from './claims/presets.js'

// What req.auth carries, and the registry an app augments to type its claims and user.
export type { AuthContext, AuthTypes } from './context/types.js'

// The errors: one class per status and RFC 6750 `error`, one union to switch on by `code`.
export {
  AuthError,
  AuthConfigError,
  CredentialsRequiredError,
  InvalidRequestError,
  InvalidTokenError,
  InsufficientScopeError,
  CsrfRejectedError,
  ServiceUnavailableError,
  ServerMisconfiguredError,
  isAuthError,
} from './errors.js'
export { InsufficientUserAuthenticationError } from './step-up/errors.js'
export type { AuthErrorCode, JwtGateError } from './errors.js'

// The store contracts, for writing an adapter (the shipped ones are under jwt-gate/stores/*).
// (A revocation query is `Parameters<RevocationStore['isRevoked']>[0]`.)
export type { ReplayStore, RevocationStore, UserRecord, UserStore } from './stores/types.js'
