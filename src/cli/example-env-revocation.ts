/**
 * `check-config --env`: the example app's revocation variables (`example-app/app/revocation.ts`),
 * every problem at once. `REVOCATION_BUS` is `redis` with `REDIS_URL`, `postgres` with
 * `DATABASE_URL` or `nats` with `NATS_URL`; `NATS_URL` without the NATS bus is refused. Values are
 * never echoed.
 *
 * @module
 */
import { read, type Env } from './env-values.js'
import type { ProblemList } from './problems.js'

/** The URL variable of each bus, and what its value must look like (the example app reads it too). */
export const REVOCATION_BUS_URLS = {
  redis: { variable: 'REDIS_URL', pattern: /^rediss?:\/\/./, says: 'a redis:// or rediss:// URL' },
  postgres: {
    variable: 'DATABASE_URL',
    pattern: /^postgres(ql)?:\/\//,
    says: 'a postgres:// or postgresql:// URL',
  },
  nats: {
    variable: 'NATS_URL',
    pattern: /^(nats|tls):\/\/[^,\s]+(,\s*(nats|tls):\/\/[^,\s]+)*$/,
    says: 'nats:// or tls:// URLs, comma-separated',
  },
} as const

/** The bus `REVOCATION_BUS` names (lower-cased), or undefined when unset. */
export function revocationBusKind(env: Env): string | undefined {
  return read(env, 'REVOCATION_BUS')?.toLowerCase()
}

/** Checks `REVOCATION_BUS` and the URL it needs; each problem names its variable. */
export function checkRevocationBus(env: Env, problems: ProblemList): void {
  const kind = revocationBusKind(env)
  if (kind !== 'nats' && read(env, 'NATS_URL') !== undefined)
    problems.error('NATS_URL', 'is set but REVOCATION_BUS is not nats')
  if (kind === undefined) return
  if (kind !== 'redis' && kind !== 'postgres' && kind !== 'nats') {
    problems.error('REVOCATION_BUS', 'must be redis, postgres or nats')
    return
  }
  const { variable, pattern, says } = REVOCATION_BUS_URLS[kind]
  const url = read(env, variable)
  if (url === undefined) problems.error(variable, `is required with REVOCATION_BUS=${kind}`)
  else if (!pattern.test(url)) problems.error(variable, `must be ${says}`)
}
