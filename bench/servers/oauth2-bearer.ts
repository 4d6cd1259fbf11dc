/**
 * express-oauth2-jwt-bearer (Auth0's middleware on jose): a static public key for asymmetric
 * algorithms, the shared secret for HS256. It requires an audience. `BENCH_VARIANT=dpop` requires
 * DPoP (`dpop: { enabled: true, required: true }`); it computes `htu` from the Host header and
 * keeps no replay store (a proof's `jti` is not remembered), so it does one write less than jwt-gate.
 */
import { auth } from 'express-oauth2-jwt-bearer'
import { readPublicFixture } from '../fixture.js'
import { benchAlgorithm, benchApp, benchVariant, serve } from './common.js'

const fixture = readPublicFixture()
const alg = benchAlgorithm()
const material = fixture.keys[alg]

const middleware = auth({
  issuer: fixture.issuer,
  audience: fixture.audience,
  tokenSigningAlg: alg,
  ...(alg === 'HS256' ? { secret: material.secret! } : { publicKey: material.pem! }),
  ...(benchVariant() === 'dpop' ? { dpop: { enabled: true, required: true } } : {}),
})
// jwt-gate's own augmentation types req.auth in this repository; this package sets its own shape.
type PeerAuth = { auth?: { payload: { sub?: string } } }
serve(benchApp((req) => (req as unknown as PeerAuth).auth?.payload.sub, middleware))
