/**
 * Revocation for the protected app: `REVOCATION_BUS=redis|postgres|nats` turns it on and says how
 * a revocation made on one instance (`POST /api/logout`) reaches every instance: the Redis store
 * with `REDIS_URL`, the PostgreSQL store with `DATABASE_URL`, or the NATS store with `NATS_URL`
 * (JetStream). Parsing opens no connection, so a configuration can be checked without one; every
 * mistake names its variable.
 *
 * @module
 */
import type { RequestHandler } from 'express'
import type { RevocationStore } from '../../src/index.js'
import { createNatsRevocationStore } from '../../src/stores/nats/index.js'
import { createPostgresRevocationStore } from '../../src/stores/postgres/index.js'
import { createRedisRevocationStore } from '../../src/stores/redis/index.js'
import { ConfigError, readString, type Env } from '../shared/env.js'
import { REVOCATION_BUS_URLS } from '../../src/cli/example-env-revocation.js'

/** How revocations travel between instances. */
export type RevocationBusConfig =
  { kind: 'redis'; url: string } | { kind: 'postgres'; url: string } | { kind: 'nats'; url: string }

/**
 * How long a revocation lasts, in seconds: as long as the longest token the AuthAPI issues
 * (`AUTH_TOKEN_TTL` is at most a day), so a logged-out session stays refused until its last
 * token expired.
 */
export const REVOCATION_LIFETIME = 86_400

/** The bus `REVOCATION_BUS` names (lower-cased), or undefined when unset. */
export function revocationBusKind(env: Env): string | undefined {
  return readString(env, 'REVOCATION_BUS')?.toLowerCase()
}

/** `REVOCATION_BUS` and the URL it needs, or undefined when revocation is off. */
export function readRevocationBus(env: Env): RevocationBusConfig | undefined {
  const kind = revocationBusKind(env)
  if (kind !== undefined && kind !== 'redis' && kind !== 'postgres' && kind !== 'nats')
    throw new ConfigError('REVOCATION_BUS', 'must be redis, postgres or nats')
  const nats = readString(env, 'NATS_URL')
  if (kind !== 'nats' && nats !== undefined)
    throw new ConfigError('NATS_URL', 'is set but REVOCATION_BUS is not nats')
  if (kind === undefined) return undefined
  const { variable, pattern, says } = REVOCATION_BUS_URLS[kind]
  const url = readString(env, variable)
  if (url === undefined) throw new ConfigError(variable, `is required with REVOCATION_BUS=${kind}`)
  if (!pattern.test(url)) throw new ConfigError(variable, `must be ${says}`)
  return { kind, url }
}

/** The revocation store `config` names, opened (its connection is made in the background). */
export function openRevocationStore(
  config: RevocationBusConfig,
): RevocationStore & { close(): Promise<void> } {
  if (config.kind === 'redis') return createRedisRevocationStore({ redis: config.url })
  if (config.kind === 'postgres')
    return createPostgresRevocationStore({ connectionString: config.url, migrate: true })
  return createNatsRevocationStore({ nats: config.url, maxLifetime: REVOCATION_LIFETIME })
}

/**
 * `POST /api/logout` (behind the gate): revokes the caller's session on every instance, by its
 * `sid` when the token has one, else every token of its subject issued until now. Answers 204.
 */
export function logoutHandler(store: RevocationStore): RequestHandler {
  return (req, res, next) => {
    const auth = req.auth!
    const sid = (auth.claims as Record<string, unknown>).sid
    // Tokens issued during this second are refused too: iat has whole-second precision.
    const before = Math.floor(Date.now() / 1000) + 1
    const revoked =
      typeof sid === 'string' && sid !== '' && store.revokeClaim !== undefined
        ? store.revokeClaim('sid', sid, before, REVOCATION_LIFETIME)
        : store.revokeSubject(auth.subject, before, REVOCATION_LIFETIME)
    revoked.then(() => res.status(204).end(), next)
  }
}
