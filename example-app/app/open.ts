/**
 * Opens the protected app from its configuration: the user store (when the user check is on),
 * then the Express app.
 *
 * @module
 */
import type { AuthenticateOptions } from '../../src/index.js'
import { createApp, type ExampleApp } from './app.js'
import type { AppConfig } from './config.js'
import { openUserStore } from './users.js'

/** Options the environment does not set (tests pass a fixed clock). */
export type OpenAppOverrides = Pick<AuthenticateOptions, 'clock'>

/** Builds the app described by `config`; `close()` releases jwt-gate and the user store. */
export async function openApp(
  config: AppConfig,
  overrides: OpenAppOverrides = {},
): Promise<ExampleApp> {
  const users = config.users === undefined ? undefined : await openUserStore(config.users)
  try {
    const example = createApp({
      authenticate: {
        ...config.authenticate,
        ...overrides,
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
    })
    return {
      app: example.app,
      warmUp: () => example.warmUp(),
      async close() {
        await example.close()
        await users?.close()
      },
    }
  } catch (err) {
    await users?.close()
    throw err
  }
}
