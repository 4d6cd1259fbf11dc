/**
 * An Express app protected by jwt-gate with user and revocation stores, and token minting, for
 * the store HTTP tests. Tokens use the wall clock because the stores (Redis expiry, subject
 * marks) do too.
 */
import express from 'express'
import type { Express } from 'express'
import { authErrorHandler, authenticate } from '../../src/index.js'
import type { AuthenticateMiddleware, RejectionEvent } from '../../src/index.js'
import type { RevocationStore, UserStore } from '../../src/stores/types.js'
import { keyPair } from '../helpers/keys.js'
import { ISSUER, sign } from '../helpers/tokens.js'

export { ISSUER }
const { privateKey, publicJwk: jwk } = keyPair('ed25519')

/** Current time in whole seconds. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/** Signs a token for `sub`, valid for ten minutes, with a `jti` unless one is given. */
export function signToken(claims: Record<string, unknown> & { sub: string }): Promise<string> {
  const iat = nowSeconds()
  return sign(privateKey, {
    claims: {
      iat,
      nbf: undefined,
      exp: iat + 600,
      roles: undefined,
      jti: crypto.randomUUID(),
      ...claims,
    },
  })
}

/** The expected challenge of a rejected token. */
export const challenge = (description: string): string =>
  `Bearer realm="api", error="invalid_token", error_description="${description}"`

/** A protected app and a record of whether its handler ran. */
export interface StoreApp {
  app: Express
  middleware: AuthenticateMiddleware
  /** How many times the protected handler ran. */
  ran: () => number
  /** The last rejection reported through `onRejected` (its `cause` is the store's own error). */
  lastRejection: () => RejectionEvent | undefined
}

/** Builds the app: GET /me answers the authenticated subject, roles and user. */
export function createStoreApp(stores: {
  users?: UserStore
  revocation?: RevocationStore
  timeout?: number
  createUnknown?: boolean
  updateExisting?: boolean
  /** The middleware's clock (default: the wall clock). */
  clock?: () => Date
  /** The issuer's clock tolerance in seconds (default: the library's). */
  clockTolerance?: number
}): StoreApp {
  const timeout = stores.timeout ?? 1000
  const sync = {
    createUnknown: stores.createUnknown ?? false,
    updateExisting: stores.updateExisting ?? false,
  }
  let last: RejectionEvent | undefined
  const middleware = authenticate({
    onRejected: (event) => {
      last = event
    },
    issuers: [
      {
        issuer: ISSUER,
        key: { jwk },
        algorithms: ['EdDSA'],
        ...(stores.clockTolerance === undefined ? {} : { clockTolerance: stores.clockTolerance }),
      },
    ],
    ...(stores.clock === undefined ? {} : { clock: stores.clock }),
    ...(stores.users === undefined ? {} : { users: { store: stores.users, timeout, ...sync } }),
    ...(stores.revocation === undefined
      ? {}
      : { revocation: { store: stores.revocation, timeout } }),
  })
  let count = 0
  const app = express()
  app.get('/me', middleware, (req, res) => {
    count++
    res.json({ subject: req.auth?.subject, roles: req.auth?.roles, user: req.auth?.user })
  })
  app.use(authErrorHandler())
  return { app, middleware, ran: () => count, lastRejection: () => last }
}
