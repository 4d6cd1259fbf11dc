/**
 * App instances for the back-channel logout tests: each an Express app on its own loopback port
 * with its own gate (JWT access tokens of the login provider) and the gate's logout handler on
 * POST /backchannel-logout. GET /protected counts its runs.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import type { RequestHandler } from 'express'
import request from 'supertest'
import type { Response } from 'supertest'
import { authenticate, authErrorHandler } from '../../src/index.js'
import type { AuthenticateMiddleware } from '../../src/index.js'
import type { ReplayStore, RevocationStore } from '../../src/stores/types.js'
import type { BackchannelLogoutOptions } from '../../src/logout/types.js'
import { LOGIN_CLIENT_ID } from '../helpers/oidc-login.js'

export const RESOURCE = 'https://api.example.test'

export interface Instance {
  readonly url: string
  readonly logoutUrl: string
  /** Logout forms as the handler received them (only with `recordForms`). */
  readonly forms: Record<string, unknown>[]
  /** Builds the gate once the provider's issuer is known. */
  attach(issuer: string, options: InstanceOptions): AuthenticateMiddleware
  ran(): number
  get(token: string): Promise<Response>
  post(body: string, contentType?: string): Promise<Response>
  close(): Promise<void>
}

export interface InstanceOptions {
  store: RevocationStore
  replayStore: ReplayStore
  clock: () => Date
  logout?: Partial<BackchannelLogoutOptions>
  /** Mount `express.urlencoded()` before the handler and record the forms. */
  recordForms?: boolean
}

/** Starts an instance's server now (its URL goes into the provider's client registration). */
export async function startInstance(): Promise<Instance> {
  let gate: RequestHandler = (_req, _res, next) => next(new Error('no gate yet'))
  let logout: RequestHandler = (_req, _res, next) => next(new Error('no gate yet'))
  const forms: Record<string, unknown>[] = []
  let runs = 0
  const app = express()
  app.post('/backchannel-logout', (req, res, next) => logout(req, res, next))
  app.use((req, res, next) => gate(req, res, next))
  app.get('/protected', (_req, res) => {
    runs++
    res.json({ ok: true })
  })
  app.use(authErrorHandler({ logger: false }))
  const server: Server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    logoutUrl: `${url}/backchannel-logout`,
    forms,
    attach(issuer, options) {
      const middleware = authenticate({
        issuers: [
          {
            issuer,
            audience: RESOURCE,
            typ: ['at+jwt'],
            key: { jwksUrl: `${issuer}/jwks` },
          },
        ],
        revocation: { store: options.store },
        clock: options.clock,
      })
      gate = middleware
      const handler = middleware.backchannelLogout({
        clientId: LOGIN_CLIENT_ID,
        replayStore: options.replayStore,
        maxTokenLifetime: 3600,
        logger: false,
        ...options.logout,
      })
      const parse = express.urlencoded({ extended: false })
      logout =
        options.recordForms === true
          ? (req, res, next) =>
              parse(req, res, () => {
                forms.push({ ...(req.body as Record<string, unknown>) })
                handler(req, res, next)
              })
          : handler
      return middleware
    },
    ran: () => runs,
    get: (token) => request(server).get('/protected').set('Authorization', `Bearer ${token}`),
    post: (body, contentType = 'application/x-www-form-urlencoded') =>
      request(server).post('/backchannel-logout').set('Content-Type', contentType).send(body),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
