/**
 * Checks the back-channel logout options once, when the handler is made: a mistake throws an
 * `AuthConfigError` naming the option, at start-up rather than as a lost logout later.
 *
 * @module
 */
import { AuthConfigError } from '../errors.js'
import type { ReplayStore, RevocationStore } from '../stores/types.js'
import type { BackchannelLogoutOptions } from './types.js'

/** The options, checked and with their defaults. */
export interface LogoutSettings {
  readonly clientIds: ReadonlySet<string>
  readonly replayStore: ReplayStore
  readonly store: RevocationStore
  readonly maxTokenLifetime: number
  readonly revokeBy: 'sid' | 'sub'
  readonly requireTyp: boolean
  readonly iatWindow: number
  readonly timeout: number
  readonly logger: ((line: string, error: Error) => void) | undefined
}

const KNOWN = new Set([
  'clientId',
  'replayStore',
  'maxTokenLifetime',
  'store',
  'revokeBy',
  'requireTyp',
  'iatWindow',
  'timeout',
  'logger',
])

function option(name: string): string {
  return `backchannelLogout.${name}`
}

function clientIds(value: unknown): ReadonlySet<string> {
  const list: unknown[] = Array.isArray(value) ? value : [value]
  if (list.length === 0 || !list.every((id) => typeof id === 'string' && id !== '')) {
    throw new AuthConfigError(
      option('clientId'),
      'is required: the client id (or ids) the provider addresses logout tokens to',
    )
  }
  return new Set(list as string[])
}

function integer(name: string, value: unknown, min: number, max: number, fallback?: number) {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new AuthConfigError(option(name), `must be a whole number from ${min} to ${max}`)
  }
  return value
}

function hasMethods(value: unknown, ...methods: string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function')
  )
}

/** The revocation store, which must be able to revoke what `revokeBy` says. */
function revocationStore(
  value: unknown,
  gateStore: RevocationStore | undefined,
  revokeBy: 'sid' | 'sub',
): RevocationStore {
  const store = value ?? gateStore
  if (store === undefined) {
    throw new AuthConfigError(
      option('store'),
      'is required when the gate has no revocation store: a logout must revoke somewhere',
    )
  }
  if (!hasMethods(store, 'isRevoked', 'revokeSubject')) {
    throw new AuthConfigError(option('store'), 'must be a RevocationStore')
  }
  if (revokeBy === 'sid' && !hasMethods(store, 'revokeClaim')) {
    throw new AuthConfigError(
      option('store'),
      "has no revokeClaim, so it cannot revoke a session by 'sid'; " +
        "use a store that has it, or set revokeBy: 'sub' to revoke the user's every token",
    )
  }
  return store as RevocationStore
}

function logger(value: unknown): LogoutSettings['logger'] {
  if (value === false) return undefined
  if (value === undefined) return (line) => console.error(line)
  if (typeof value !== 'function')
    throw new AuthConfigError(option('logger'), 'must be a function or false')
  return value as (line: string, error: Error) => void
}

/** Checks `options` against the gate's revocation store (the default store). */
export function resolveLogoutOptions(
  options: BackchannelLogoutOptions,
  gateStore: RevocationStore | undefined,
): LogoutSettings {
  if (typeof options !== 'object' || options === null) {
    throw new AuthConfigError('backchannelLogout', 'must be an object')
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) throw new AuthConfigError(option(name), 'is not an option')
  }
  const revokeBy = options.revokeBy ?? 'sid'
  if (revokeBy !== 'sid' && revokeBy !== 'sub') {
    throw new AuthConfigError(option('revokeBy'), "must be 'sid' or 'sub'")
  }
  if (!hasMethods(options.replayStore, 'remember')) {
    throw new AuthConfigError(
      option('replayStore'),
      'is required: a ReplayStore, so that a logout token is acted on once',
    )
  }
  if (options.requireTyp !== undefined && typeof options.requireTyp !== 'boolean') {
    throw new AuthConfigError(option('requireTyp'), 'must be a boolean')
  }
  return Object.freeze({
    clientIds: clientIds(options.clientId),
    replayStore: options.replayStore,
    store: revocationStore(options.store, gateStore, revokeBy),
    maxTokenLifetime: integer('maxTokenLifetime', options.maxTokenLifetime, 1, 31_536_000),
    revokeBy,
    requireTyp: options.requireTyp ?? false,
    iatWindow: integer('iatWindow', options.iatWindow, 1, 3600, 300),
    timeout: integer('timeout', options.timeout, 1, 60_000, 3000),
    logger: logger(options.logger),
  })
}
