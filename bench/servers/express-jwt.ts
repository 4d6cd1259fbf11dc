/**
 * express-jwt 8 (jsonwebtoken). `BENCH_VARIANT=keyobject` passes a `KeyObject` imported once;
 * `string` passes the PEM text or the secret string, as most apps configure it. It has no EdDSA.
 */
import { createPublicKey, createSecretKey } from 'node:crypto'
import { expressjwt } from 'express-jwt'
import type { Request as JwtRequest } from 'express-jwt'
import { readPublicFixture } from '../fixture.js'
import { benchAlgorithm, benchApp, benchVariant, serve } from './common.js'

const fixture = readPublicFixture()
const alg = benchAlgorithm()
if (alg === 'EdDSA') throw new Error('express-jwt cannot verify EdDSA')
const material = fixture.keys[alg]
const asKeyObject = benchVariant() === 'keyobject'
const secret =
  alg === 'HS256'
    ? asKeyObject
      ? createSecretKey(Buffer.from(material.secret!, 'utf8'))
      : material.secret!
    : asKeyObject
      ? createPublicKey(material.pem!)
      : material.pem!

const pinned = { algorithms: [alg], issuer: fixture.issuer, audience: fixture.audience }
serve(benchApp((req) => (req as JwtRequest).auth?.sub, expressjwt({ secret, ...pinned })))
