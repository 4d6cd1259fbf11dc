/**
 * The steps after verification that ask the stores, in order: revocation, then the user check
 * (whose roles replace the token's). Neither is cached with the token: the stores have their own
 * caches, and a revoked token or a disabled user must be refused at once.
 *
 * @module
 */
import type { AuthContext, TokenSource } from '../context/types.js'
import { RequestAuthContext } from '../context/auth-context.js'
import type { ResolvedConfig } from '../options/resolve.js'
import { checkRevocation } from '../checks/revocation.js'
import { checkUser } from '../checks/user.js'
import type { VerifiedToken } from './verified-cache.js'

/** Whether any store check is configured (if not, the context is built synchronously). */
export function hasStoreChecks(config: ResolvedConfig): boolean {
  return config.revocation !== undefined || config.users !== undefined
}

/** The request's context, without store checks. */
export function buildContext(
  config: ResolvedConfig,
  verified: VerifiedToken,
  token: string,
  source: TokenSource,
  binding: AuthContext['binding'],
): RequestAuthContext {
  const resourceMetadata = config.protectedResource?.metadataUrl
  return new RequestAuthContext(verified, source, token, config.realm, resourceMetadata, binding)
}

/**
 * Checks revocation, then the user, and builds the context with the user's record and roles.
 * Throws `ERR_AUTH_TOKEN_REVOKED`, `ERR_AUTH_USER_*` (401) or `ERR_AUTH_STORE_UNAVAILABLE` (503).
 */
export async function checkStoresAndBuildContext(
  config: ResolvedConfig,
  verified: VerifiedToken,
  token: string,
  source: TokenSource,
  binding: AuthContext['binding'],
): Promise<AuthContext> {
  if (config.revocation !== undefined) {
    await checkRevocation(config.revocation, verified.registered, verified.claims)
  }
  const context = buildContext(config, verified, token, source, binding)
  if (config.users !== undefined) {
    const claimsRecord = verified.claims as Record<string, unknown>
    const user = await checkUser(
      config.users,
      verified.issuer.username(claimsRecord),
      verified.roles,
      claimsRecord.name,
    )
    context.user = user
    context.roles = [...user.roles]
  }
  return context
}
