/**
 * express-oauth2-jwt-bearer (Auth0's middleware on jose): a static public key for asymmetric
 * algorithms, the shared secret for HS256. It requires an audience.
 */
import express from 'express'
import { auth } from 'express-oauth2-jwt-bearer'
import { readPublicFixture } from '../fixture.js'
import { benchAlgorithm, mountCpu, protectedRoute, serve } from './common.js'

const fixture = readPublicFixture()
const alg = benchAlgorithm()
const material = fixture.keys[alg]

const app = express()
mountCpu(app)
app.use(
  auth({
    issuer: fixture.issuer,
    audience: fixture.audience,
    tokenSigningAlg: alg,
    ...(alg === 'HS256' ? { secret: material.secret! } : { publicKey: material.pem! }),
  }),
)
app.get(
  '/',
  // jwt-gate's own augmentation types req.auth in this repository; this package sets its own shape.
  protectedRoute(
    (req) => (req as unknown as { auth?: { payload: { sub?: string } } }).auth?.payload.sub,
  ),
)
serve(app)
