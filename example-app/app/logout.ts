/**
 * OpenID Connect Back-Channel Logout for the protected app: `JWT_BACKCHANNEL_LOGOUT=true` mounts
 * `POST /backchannel-logout`, where the provider posts its logout tokens, addressed to the client
 * `JWT_CLIENT_ID` (required with it, refused without it). The app then revokes in an in-memory
 * revocation store: one process. A fleet shares a Redis or PostgreSQL revocation and replay store
 * instead (docs/logout.md).
 *
 * @module
 */
import type { Express } from 'express'
import type { AuthenticateMiddleware } from '../../src/index.js'
import { createMemoryReplayStore } from '../../src/stores/memory.js'
import { ConfigError, readBoolean, readString, type Env } from '../shared/env.js'

/** The back-channel logout settings of the environment. */
export interface BackchannelLogoutConfig {
  clientId: string
}

/** Where the provider posts logout tokens (the client's `backchannel_logout_uri`). */
export const BACKCHANNEL_LOGOUT_PATH = '/backchannel-logout'

/**
 * Revocation marks must outlive every token they deny: a day covers the access tokens of common
 * providers (minutes to hours); a longer-lived token would outlive its session's revocation.
 */
const MAX_TOKEN_LIFETIME = 86_400

/**
 * The settings, or undefined when `JWT_BACKCHANNEL_LOGOUT` is off. `JWT_CLIENT_ID` is then refused
 * unless introspection uses it (as its default client id).
 */
export function readBackchannelLogout(env: Env): BackchannelLogoutConfig | undefined {
  const enabled = readBoolean(env, 'JWT_BACKCHANNEL_LOGOUT', false)
  const clientId = readString(env, 'JWT_CLIENT_ID')
  if (!enabled) {
    if (clientId !== undefined && !readBoolean(env, 'JWT_INTROSPECTION', false)) {
      throw new ConfigError(
        'JWT_CLIENT_ID',
        'is set but neither back-channel logout nor introspection is on ' +
          '(set JWT_BACKCHANNEL_LOGOUT=true or JWT_INTROSPECTION=true)',
      )
    }
    return undefined
  }
  if (clientId === undefined) {
    throw new ConfigError(
      'JWT_CLIENT_ID',
      'is required with JWT_BACKCHANNEL_LOGOUT (the client id logout tokens are addressed to)',
    )
  }
  return { clientId }
}

/** Mounts the logout endpoint of `gate` (before the gate: the provider sends no access token). */
export function mountBackchannelLogout(
  app: Express,
  gate: AuthenticateMiddleware,
  config: BackchannelLogoutConfig,
): void {
  app.post(
    BACKCHANNEL_LOGOUT_PATH,
    gate.backchannelLogout({
      clientId: config.clientId,
      replayStore: createMemoryReplayStore(),
      maxTokenLifetime: MAX_TOKEN_LIFETIME,
    }),
  )
}
