/**
 * express-oauth2-jwt-bearer (Auth0's middleware on jose): a static public key for asymmetric
 * algorithms, the shared secret for HS256. It requires an audience. `BENCH_VARIANT=dpop` requires
 * DPoP (`dpop: { enabled: true, required: true }`); it computes `htu` from the Host header and
 * keeps no replay store (a proof's `jti` is not remembered), so it does one write less than jwt-gate.
 */
import express from 'express'
import { auth } from 'express-oauth2-jwt-bearer'
import { readPublicFixture } from '../fixture.js'
import { benchAlgorithm, benchVariant, mountCpu, protectedRoute, serve } from './common.js'

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
    ...(benchVariant() === 'dpop' ? { dpop: { enabled: true, required: true } } : {}),
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
