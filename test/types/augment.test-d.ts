import { describe, expectTypeOf, it } from 'vitest'
import type { Request, RequestHandler } from 'express'
import express from 'express'
import {
  authenticate,
  requirePolicy,
  requireRoles,
  type AuthContext,
  type AuthenticateMiddleware,
  type UserRecord,
} from '../../src/index.js'
import type { DeepReadonly, DefaultClaims, TokenSource } from '../../src/context/types.js'

describe('req.auth typing', () => {
  it('is an optional AuthContext on every Express request', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<AuthContext | undefined>()
  })

  it('exposes subject, roles, scopes, claims, source and a read-only token', () => {
    expectTypeOf<AuthContext['subject']>().toEqualTypeOf<string>()
    expectTypeOf<AuthContext['roles']>().toEqualTypeOf<string[]>()
    expectTypeOf<AuthContext['source']>().toEqualTypeOf<TokenSource>()
    expectTypeOf<AuthContext['claims']>().toEqualTypeOf<DeepReadonly<DefaultClaims>>()
    expectTypeOf<AuthContext['user']>().toEqualTypeOf<UserRecord | undefined>()
  })

  it('lets apps type their own claims through the generic', () => {
    type Mine = AuthContext<{ sub: string; tenant: string }>
    expectTypeOf<Mine['claims']['tenant']>().toEqualTypeOf<string>()
  })
})

describe('middleware signatures fit Express 5', () => {
  it('app.use accepts authenticate() and guards', () => {
    const app = express()
    const gate = authenticate({ issuers: [{ issuer: 'x', key: { ed25519: 'AAAA' } }] })
    expectTypeOf(gate).toExtend<RequestHandler>()
    expectTypeOf<AuthenticateMiddleware['close']>().toEqualTypeOf<() => Promise<void>>()
    app.use(gate)
    app.get('/', requireRoles('admin'), (req, res) => {
      expectTypeOf(req.auth?.roles).toEqualTypeOf<string[] | undefined>()
      res.end()
    })
  })

  it('policies receive the authenticated context and the request', () => {
    requirePolicy((auth, req) => {
      expectTypeOf(auth).toEqualTypeOf<AuthContext>()
      expectTypeOf(req).toEqualTypeOf<Request>()
      return auth.roles.includes('x')
    })
  })

  it('rejects invalid options at compile time', () => {
    // @ts-expect-error a key source must be one of the documented shapes
    authenticate({ issuers: [{ issuer: 'x', key: { password: 'p' } }] })
    // @ts-expect-error credentials is 'required' or 'optional'
    authenticate({ issuers: [], credentials: 'maybe' })
  })
})
