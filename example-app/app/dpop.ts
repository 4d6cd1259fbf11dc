/**
 * DPoP for the protected app (RFC 9449): `JWT_DPOP=allowed|required` turns it on, `APP_PUBLIC_URL`
 * is the origin proofs' `htu` is checked against, `DPOP_REPLAY_STORE` says where proof `jti`s are
 * remembered (`memory`, or `redis` with `REDIS_URL`, or `postgres` with `DATABASE_URL`, for a
 * fleet), `DPOP_NONCE_SECRET` turns on server nonces. Every mistake names its variable; what only
 * jwt-gate judges (the origin, the secret's length) is mapped back by `option-variable.ts`.
 *
 * @module
 */
import type { AuthenticateOptions } from '../../src/index.js'
import { createMemoryReplayStore } from '../../src/stores/memory.js'
import { ConfigError, readString, type Env } from '../shared/env.js'
import { revocationBusKind } from './revocation.js'

/** jwt-gate's `dpop` option (its type is not exported by name). */
type DpopOptions = NonNullable<AuthenticateOptions['dpop']>

/** Where proof `jti`s are remembered; the shared stores are opened by `open.ts`. */
export type ReplayStoreConfig =
  { kind: 'memory' } | { kind: 'redis'; url: string } | { kind: 'postgres'; url: string }

/** The DPoP settings of the environment. */
export interface DpopConfig {
  /**
   * jwt-gate's `dpop` option. Its `replayStore` is an in-memory store; `open.ts` puts the shared
   * one in its place when {@link DpopConfig.store} says Redis or PostgreSQL (parsing opens no
   * connection, so that a configuration can be checked without one).
   */
  options: DpopOptions
  store: ReplayStoreConfig
}

/** Variables that only mean something with JWT_DPOP. */
const DPOP_ONLY = ['DPOP_REPLAY_STORE', 'DPOP_NONCE_SECRET', 'REDIS_URL'] as const

function readMode(env: Env): DpopOptions['mode'] | undefined {
  const mode = readString(env, 'JWT_DPOP')?.toLowerCase()
  if (mode === undefined) return undefined
  if (mode !== 'allowed' && mode !== 'required') {
    throw new ConfigError('JWT_DPOP', 'must be allowed or required')
  }
  return mode
}

/** `DPOP_REPLAY_STORE` and the URL it needs; `REDIS_URL` is refused when Redis is not used. */
export function readReplayStore(env: Env): ReplayStoreConfig {
  const kind = readString(env, 'DPOP_REPLAY_STORE')?.toLowerCase() ?? 'memory'
  if (kind !== 'memory' && kind !== 'redis' && kind !== 'postgres') {
    throw new ConfigError('DPOP_REPLAY_STORE', 'must be memory, redis or postgres')
  }
  const redis = readString(env, 'REDIS_URL')
  // REVOCATION_BUS=redis may use REDIS_URL too (revocation.ts checks it then).
  if (kind !== 'redis' && redis !== undefined && revocationBusKind(env) !== 'redis') {
    throw new ConfigError('REDIS_URL', 'is set but DPOP_REPLAY_STORE is not redis')
  }
  if (kind === 'redis') {
    if (redis === undefined)
      throw new ConfigError('REDIS_URL', 'is required with DPOP_REPLAY_STORE=redis')
    if (!/^rediss?:\/\/./.test(redis)) {
      throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL')
    }
    return { kind, url: redis }
  }
  if (kind === 'postgres') {
    const url = readString(env, 'DATABASE_URL')
    if (url === undefined) {
      throw new ConfigError('DATABASE_URL', 'is required with DPOP_REPLAY_STORE=postgres')
    }
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL')
    }
    return { kind, url }
  }
  return { kind }
}

/** Whether `DATABASE_URL` serves the DPoP replay store (so it is not only the user check's). */
export function databaseServesDpop(env: Env): boolean {
  return (
    readString(env, 'JWT_DPOP') !== undefined &&
    readString(env, 'DPOP_REPLAY_STORE')?.toLowerCase() === 'postgres'
  )
}

/** The DPoP settings, or undefined when `JWT_DPOP` is unset (then its companions are refused). */
export function readDpop(env: Env): DpopConfig | undefined {
  const mode = readMode(env)
  if (mode === undefined) {
    const stray = DPOP_ONLY.find(
      (name) =>
        readString(env, name) !== undefined &&
        !(name === 'REDIS_URL' && revocationBusKind(env) === 'redis'),
    )
    if (stray !== undefined) throw new ConfigError(stray, 'is set but DPoP is off (set JWT_DPOP)')
    return undefined
  }
  const publicOrigin = readString(env, 'APP_PUBLIC_URL')
  if (publicOrigin === undefined) {
    throw new ConfigError(
      'APP_PUBLIC_URL',
      'is required with JWT_DPOP (the origin proofs are made for, e.g. https://app.example.org)',
    )
  }
  const store = readReplayStore(env)
  const secret = readString(env, 'DPOP_NONCE_SECRET')
  return {
    options: {
      mode,
      replayStore: createMemoryReplayStore(),
      publicOrigin,
      ...(secret === undefined ? {} : { nonce: { secret } }),
    },
    store,
  }
}
