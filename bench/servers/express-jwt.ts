/**
 * express-jwt 8 (jsonwebtoken), the key passed as a `KeyObject` imported once. It has no EdDSA.
 */
import { createPublicKey, createSecretKey } from 'node:crypto'
import { expressjwt } from 'express-jwt'
import type { Request as JwtRequest } from 'express-jwt'
import { readPublicFixture } from '../fixture.js'
import { benchAlgorithm, benchApp, serve } from './common.js'

const fixture = readPublicFixture()
const alg = benchAlgorithm()
if (alg === 'EdDSA') throw new Error('express-jwt cannot verify EdDSA')
const material = fixture.keys[alg]
const secret =
  alg === 'HS256'
    ? createSecretKey(Buffer.from(material.secret!, 'utf8'))
    : createPublicKey(material.pem!)

const pinned = { algorithms: [alg], issuer: fixture.issuer, audience: fixture.audience }
serve(benchApp((req) => (req as JwtRequest).auth?.sub, expressjwt({ secret, ...pinned })))
