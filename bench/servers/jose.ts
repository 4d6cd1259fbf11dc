/**
 * A hand-written jose middleware, as an app would write it: the key imported once, then
 * `jwtVerify` with the algorithm, issuer and audience pinned; any failure is a 401.
 */
import type { NextFunction, Request, Response } from 'express'
import { jwtVerify } from 'jose'
import type { JWTPayload } from 'jose'
import { importJoseKey, readPublicFixture } from '../fixture.js'
import { bearerToken, benchAlgorithm, benchApp, serve } from './common.js'

const fixture = readPublicFixture()
const alg = benchAlgorithm()
const material = fixture.keys[alg]
const key = await importJoseKey(alg, material)

const claimsOf = new WeakMap<Request, JWTPayload>()

function verify(req: Request, res: Response, next: NextFunction): void {
  const token = bearerToken(req)
  if (token === undefined) {
    res.status(401).end()
    return
  }
  jwtVerify(token, key, { algorithms: [alg], issuer: fixture.issuer, audience: fixture.audience })
    .then(({ payload }) => {
      claimsOf.set(req, payload)
      next()
    })
    .catch(() => {
      res.status(401).end()
    })
}

serve(benchApp((req) => claimsOf.get(req)?.sub, verify))
