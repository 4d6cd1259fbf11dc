import { describe, expectTypeOf, it } from 'vitest'
import type { Request } from 'express'
import express from 'express'
import { z } from 'zod'
import {
  authenticate,
  requireClaim,
  requireClaimIncludes,
  requirePolicy,
  type AuthContext,
  type AuthOTronClaims,
  type ClusterCockpitClaims,
} from '../../src/index.js'
import type { DeepReadonly } from '../../src/context/types.js'
import type { StandardSchemaV1 } from '../../src/claims/parse.js'

declare function isMember(user: string, project: string): Promise<boolean>

describe('the README examples compile with Express 5 types', () => {
  it("requirePolicy's predicate type stays expressible from the public API", () => {
    type Policy = Parameters<typeof requirePolicy>[0]
    const ownsProject: Policy = (auth, req) => auth.subject === req.params.owner
    expectTypeOf(ownsProject).parameter(0).toEqualTypeOf<AuthContext>()
    expectTypeOf(ownsProject).parameter(1).toEqualTypeOf<Request>()
    expectTypeOf(ownsProject).returns.toEqualTypeOf<boolean | Promise<boolean>>()
    expectTypeOf(requirePolicy(ownsProject)).toBeFunction()
  })

  it('requirePolicy reading a route parameter (string | string[] in Express 5)', () => {
    const app = express()
    app.post(
      '/projects/:id',
      requirePolicy(async (auth, req) => {
        const id = req.params.id
        return typeof id === 'string' && (await isMember(auth.subject, id))
      }),
      (_req, res) => res.end(),
    )
    // What the README used to show: Express 5 types a parameter as `string | string[]`.
    requirePolicy(async (auth, req: Request) =>
      // @ts-expect-error req.params.id may be an array (a wildcard parameter)
      isMember(auth.subject, req.params.id),
    )
  })

  it('claim guards take namespaced names, array paths and null', () => {
    requireClaim('https://example.com/tenant', 'acme')
    requireClaim(['https://example.com/app', 'plan'], null)
    requireClaimIncludes(['scopes', 'jobs'], 'read')
    // @ts-expect-error an object is not a claim value
    requireClaim('tenant', { id: 1 })
  })
})

describe('claims schemas', () => {
  it('take any Standard Schema: zod, or an object written by hand', () => {
    const handWritten: StandardSchemaV1<{ sub: string }> = {
      '~standard': {
        version: 1,
        vendor: 'hand',
        validate: (value) => Promise.resolve({ value: value as { sub: string } }),
      },
    }
    authenticate({ issuers: [{ issuer: 'x', key: { ed25519: 'A' }, claims: handWritten }] })
    authenticate({ issuers: [{ issuer: 'x', key: { ed25519: 'A' }, claims: z.looseObject({}) }] })
    // @ts-expect-error a plain object is not a schema
    authenticate({ issuers: [{ issuer: 'x', key: { ed25519: 'A' }, claims: { sub: 'string' } }] })
  })
})

describe('claims types', () => {
  it('claims are read-only all the way down (they are frozen at run time)', () => {
    type Claims = AuthContext<{ sub: string; org: { teams: string[] } }>['claims']
    expectTypeOf<Claims>().toEqualTypeOf<DeepReadonly<{ sub: string; org: { teams: string[] } }>>()
    const claims = {} as Claims
    // @ts-expect-error frozen
    claims.sub = 'x'
    // @ts-expect-error frozen, nested too
    claims.org.teams.push('x')
    expectTypeOf(claims.org.teams).toEqualTypeOf<readonly string[]>()
  })

  it('preset claim types describe what the presets let through', () => {
    expectTypeOf<ClusterCockpitClaims['roles']>().toEqualTypeOf<string[]>()
    expectTypeOf<AuthOTronClaims['realm']>().toEqualTypeOf<string>()
  })

  it('a multi-issuer app declares a union and narrows it by issuer', () => {
    type AppClaims = ClusterCockpitClaims | AuthOTronClaims
    const fromAuthOTron = (auth: AuthContext<AppClaims>): auth is AuthContext<AuthOTronClaims> =>
      auth.issuer === 'authotron'
    const auth = {} as AuthContext<AppClaims>
    if (fromAuthOTron(auth)) expectTypeOf(auth.claims.realm).toEqualTypeOf<string>()
    else expectTypeOf(auth.claims.sub).toEqualTypeOf<string>()
  })
})
