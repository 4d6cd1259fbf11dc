/**
 * `check-config --env`: the example app's DPoP variables (`example-app/app/dpop.ts`), every
 * problem at once. `JWT_DPOP=allowed|required` needs `APP_PUBLIC_URL` (an origin, judged by the
 * library); `DPOP_REPLAY_STORE` is `memory` (warned: one process only), `redis` with `REDIS_URL`
 * or `postgres` with `DATABASE_URL`; `DPOP_NONCE_SECRET` is judged by the library (its length).
 * Without `JWT_DPOP` its companions are refused. Values are never echoed.
 *
 * @module
 */
import type { AuthenticateOptions, ReplayStore } from '../index.js'
import { read, type Env } from './env-values.js'
import { revocationBusKind } from './example-env-revocation.js'
import { probeOptions, problemOf, refusal } from './library.js'
import type { ProblemList } from './problems.js'

type DpopOptions = NonNullable<AuthenticateOptions['dpop']>

/** A replay store for probes: the gate is closed unused, so it is never asked. */
const PROBE_STORE: ReplayStore = { remember: () => Promise.resolve(true) }
/** An origin the library takes, standing in while another `dpop` member is judged. */
const PROBE_ORIGIN = 'https://probe.example'

/** Why the library refuses `dpop`, without its echo of the value; undefined when it takes it. */
function dpopRefusal(dpop: DpopOptions): string | undefined {
  const refused = refusal(
    probeOptions({ discovery: true }, { issuer: 'https://probe.example' }, { dpop }),
  )
  return refused === undefined ? undefined : problemOf(refused).replace(/ \(got ".*"\)$/s, '')
}

/** `DPOP_REPLAY_STORE` and the URL its store needs. */
function checkReplayStore(env: Env, problems: ProblemList): void {
  const kind = read(env, 'DPOP_REPLAY_STORE')?.toLowerCase() ?? 'memory'
  const redis = read(env, 'REDIS_URL')
  if (!['memory', 'redis', 'postgres'].includes(kind)) {
    problems.error('DPOP_REPLAY_STORE', 'must be memory, redis or postgres')
  }
  if (kind === 'memory') {
    problems.warning(
      'DPOP_REPLAY_STORE',
      'memory: proofs are remembered by one process only; with several instances, ' +
        'use redis or postgres so that each refuses a proof another accepted',
    )
  }
  // REVOCATION_BUS=redis may use REDIS_URL too (its check judges it then).
  if (kind !== 'redis' && redis !== undefined && revocationBusKind(env) !== 'redis') {
    problems.error('REDIS_URL', 'is set but DPOP_REPLAY_STORE is not redis')
  }
  if (kind === 'redis' && redis === undefined) {
    problems.error('REDIS_URL', 'is required with DPOP_REPLAY_STORE=redis')
  } else if (kind === 'redis' && !/^rediss?:\/\/./.test(redis ?? '')) {
    problems.error('REDIS_URL', 'must be a redis:// or rediss:// URL')
  }
  const database = read(env, 'DATABASE_URL')
  if (kind === 'postgres' && database === undefined) {
    problems.error('DATABASE_URL', 'is required with DPOP_REPLAY_STORE=postgres')
  } else if (kind === 'postgres' && !/^postgres(ql)?:\/\//.test(database ?? '')) {
    problems.error('DATABASE_URL', 'must be a postgres:// or postgresql:// URL')
  }
}

/** Whether `DATABASE_URL` serves the DPoP replay store (so the user check need not be on). */
export function databaseServesDpop(env: Env): boolean {
  return (
    read(env, 'JWT_DPOP') !== undefined &&
    read(env, 'DPOP_REPLAY_STORE')?.toLowerCase() === 'postgres'
  )
}

/** Checks the DPoP variables; each problem names its variable. */
export function checkDpop(env: Env, problems: ProblemList): void {
  const mode = read(env, 'JWT_DPOP')?.toLowerCase()
  if (mode === undefined) {
    for (const name of ['DPOP_REPLAY_STORE', 'DPOP_NONCE_SECRET', 'REDIS_URL']) {
      if (name === 'REDIS_URL' && revocationBusKind(env) === 'redis') continue
      if (read(env, name) !== undefined) {
        problems.error(name, 'is set but DPoP is off (set JWT_DPOP)')
      }
    }
    return
  }
  if (mode !== 'allowed' && mode !== 'required') {
    problems.error('JWT_DPOP', 'must be allowed or required')
  }
  const base = { mode: 'allowed', replayStore: PROBE_STORE, publicOrigin: PROBE_ORIGIN } as const
  const origin = read(env, 'APP_PUBLIC_URL')
  if (origin === undefined) {
    problems.error('APP_PUBLIC_URL', 'is required with JWT_DPOP (the origin proofs are made for)')
  } else {
    const problem = dpopRefusal({ ...base, publicOrigin: origin })
    if (problem !== undefined) problems.error('APP_PUBLIC_URL', `with JWT_DPOP: ${problem}`)
  }
  const secret = read(env, 'DPOP_NONCE_SECRET')
  if (secret !== undefined) {
    const problem = dpopRefusal({ ...base, nonce: { secret } })
    if (problem !== undefined) problems.error('DPOP_NONCE_SECRET', problem)
  }
  checkReplayStore(env, problems)
}
