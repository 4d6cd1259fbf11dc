/**
 * Availability of the real servers the store suites need, and unique names per test run.
 *
 * A missing server fails the run when `CI=true` (CI must never silently skip) and otherwise skips
 * the suites that need it, saying plainly which ones and how to run them.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import pg from 'pg'

/** Connection string of the test PostgreSQL database. */
export const POSTGRES_URL =
  process.env.JWT_GATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
/** URL of the test Redis. */
export const REDIS_URL = process.env.JWT_GATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

const HOW_TO = {
  postgres:
    'start PostgreSQL on 127.0.0.1:5432 (trust auth, database "test"), e.g. ' +
    '`pg_ctlcluster 15 main start`, or set JWT_GATE_TEST_POSTGRES_URL',
  redis:
    'start Redis on 127.0.0.1:6379, e.g. `redis-server --daemonize yes --save ""`, ' +
    'or set JWT_GATE_TEST_REDIS_URL',
} as const

async function probePostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 1500 })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function probeRedis(): Promise<boolean> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  client.on('error', () => undefined)
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

const probes = { postgres: probePostgres, redis: probeRedis }
const urls = { postgres: POSTGRES_URL, redis: REDIS_URL }

/**
 * Resolves to true when `service` answers. When it does not: throws under `CI=true`, otherwise
 * prints which suites are skipped and how to run them, and resolves to false.
 */
export async function serviceAvailable(
  service: 'postgres' | 'redis',
  suites: string,
): Promise<boolean> {
  if (await probes[service]()) return true
  const where = `${service} is not reachable at ${urls[service]}`
  if (process.env.CI === 'true') {
    throw new Error(`${where}; CI=true, so the ${suites} suites fail instead of being skipped`)
  }
  console.warn(
    `\n[jwt-gate] SKIPPED ${suites}: ${where}.\n` +
      `  To run them: ${HOW_TO[service]}, then \`npx vitest run test/stores\`.\n`,
  )
  return false
}

/** A name unique to this run and call (lowercase identifier), for tables and key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
}
