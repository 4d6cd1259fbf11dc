/**
 * Opens the protected app from its configuration: the user store (when the user check is on),
 * then the Express app.
 *
 * @module
 */
import type { AuthenticateOptions, ReplayStore } from '../../src/index.js'
import { createPostgresReplayStore } from '../../src/stores/postgres/index.js'
import { createRedisReplayStore } from '../../src/stores/redis/index.js'
import { createApp, type ExampleApp } from './app.js'
import type { AppConfig } from './config.js'
import type { ReplayStoreConfig } from './dpop.js'
import { openUserStore } from './users.js'
import { openRevocationStore } from './revocation.js'

/** Options the environment does not set (tests pass a fixed clock). */
export type OpenAppOverrides = Pick<AuthenticateOptions, 'clock'>

/** The shared replay store `config` names, opened; undefined for the in-memory one. */
function openReplayStore(
  config: ReplayStoreConfig | undefined,
): (ReplayStore & { close(): Promise<void> }) | undefined {
  if (config?.kind === 'redis') return createRedisReplayStore({ redis: config.url })
  // The table is created at the first proof (and retried until it is), so a database that is
  // down at start makes DPoP requests 503s rather than stopping the app.
  if (config?.kind === 'postgres') {
    return createPostgresReplayStore({ connectionString: config.url, migrate: true })
  }
  return undefined
}

/**
 * `config`'s jwt-gate options with the shared replay store in place of the in-memory one that
 * parsing put there.
 */
function withReplayStore(
  options: AuthenticateOptions,
  store: ReplayStore | undefined,
): AuthenticateOptions {
  if (store === undefined || options.dpop === undefined) return options
  return { ...options, dpop: { ...options.dpop, replayStore: store } }
}

/**
 * Builds the app described by `config`; `close()` releases jwt-gate, the user store, the replay
 * store and the revocation store.
 */
export async function openApp(
  config: AppConfig,
  overrides: OpenAppOverrides = {},
): Promise<ExampleApp> {
  const users = config.users === undefined ? undefined : await openUserStore(config.users)
  const replay = openReplayStore(config.replayStore)
  const revocation =
    config.revocationBus === undefined ? undefined : openRevocationStore(config.revocationBus)
  try {
    const example = createApp({
      authenticate: {
        ...withReplayStore(config.authenticate, replay),
        ...overrides,
        ...(revocation === undefined ? {} : { revocation: { store: revocation } }),
        ...(users === undefined || config.users === undefined
          ? {}
          : {
              users: {
                store: users.store,
                createUnknown: config.users.createUnknown,
                updateExisting: config.users.updateExisting,
              },
            }),
      },
      loginUrl: config.loginUrl,
      logoutUrl: config.logoutUrl,
      publicUrl: config.publicUrl,
      backchannelLogout: config.backchannelLogout,
      revocation,
    })
    return {
      app: example.app,
      warmUp: () => example.warmUp(),
      async close() {
        await example.close()
        await users?.close()
        await replay?.close()
        await revocation?.close()
      },
    }
  } catch (err) {
    await users?.close()
    await replay?.close()
    await revocation?.close()
    throw err
  }
}
