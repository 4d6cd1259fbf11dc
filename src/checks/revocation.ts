/**
 * The revocation check: a verified token is refused when its `jti` is denied, or when its subject
 * or another of its claims (`sid`, `client_id`) was revoked for every token issued before a given
 * time. The store sees every verified claim and decides which it checks.
 *
 * @module
 */
import { InvalidTokenError } from '../errors.js'
import type { ResolvedConfig } from '../options/resolve.js'
import type { RevocationQuery } from '../stores/types.js'
import { callStore, garbageFrom } from './store-calls.js'

/**
 * Throws `ERR_AUTH_TOKEN_REVOKED` (401) or `ERR_AUTH_STORE_UNAVAILABLE` (503). `payload` holds the
 * registered claims; `claims` every verified claim (the claims schema's output), which the query
 * carries so a store can revoke by `sid` or `client_id` (the registered ones alone have neither).
 */
export async function checkRevocation(
  revocation: NonNullable<ResolvedConfig['revocation']>,
  payload: Readonly<Record<string, unknown>>,
  claims: unknown = payload,
): Promise<void> {
  // The registered claims are all a verified token keeps of its payload; the other claims
  // (`sid`, `client_id`) live on in its claims (the schema's output, when there is a schema).
  const all = typeof claims === 'object' && claims !== null ? claims : payload
  const query: RevocationQuery = {
    subject: payload.sub as string,
    claims: all as Readonly<Record<string, unknown>>,
  }
  if (typeof payload.iss === 'string') query.issuer = payload.iss
  if (typeof payload.jti === 'string') query.jti = payload.jti
  if (typeof payload.iat === 'number') query.issuedAt = payload.iat
  const revoked = await callStore(
    () => revocation.store.isRevoked(query),
    revocation.timeout,
    'revocation store',
  )
  if (typeof revoked !== 'boolean') throw garbageFrom('revocation store')
  if (revoked) throw new InvalidTokenError('ERR_AUTH_TOKEN_REVOKED', 'token revoked')
}
