/**
 * Opens the AuthAPI from its configuration: the user database, the signer and the Express app.
 *
 * @module
 */
import type { Express } from 'express'
import { createAuthApi } from './app.js'
import type { AuthApiConfig } from './config.js'
import type { LoginLimiter } from './login-limiter.js'
import { createDecoyHash } from './password.js'
import { createTokenSigner } from './signer.js'
import { openAuthUserDb, type AuthUserDb } from './user-db.js'

/** A ready AuthAPI and how to release it. */
export interface OpenAuthApi {
  app: Express
  users: AuthUserDb
  close(): void
}

/** Test and launcher hooks that the environment does not set. */
export interface OpenAuthApiOverrides {
  clock?: () => Date
  limiter?: LoginLimiter
}

/** Builds the AuthAPI described by `config`. */
export async function openAuthApi(
  config: AuthApiConfig,
  overrides: OpenAuthApiOverrides = {},
): Promise<OpenAuthApi> {
  const users = openAuthUserDb(config.usersDb)
  try {
    const signer = await createTokenSigner({
      privateKey: config.privateKey,
      publicKey: config.publicKey,
      issuer: config.issuer,
      audience: config.audience,
      ttlSeconds: config.ttlSeconds,
      ...(overrides.clock === undefined ? {} : { clock: overrides.clock }),
    })
    const app = createAuthApi({
      users,
      signer,
      cookie: config.cookie,
      trustProxy: config.trustProxy,
      appOrigins: config.appOrigins,
      defaultRedirect: config.defaultRedirect,
      decoyHash: await createDecoyHash(),
      ...(overrides.limiter === undefined ? {} : { limiter: overrides.limiter }),
    })
    return { app, users, close: () => users.close() }
  } catch (err) {
    users.close()
    throw err
  }
}
