/**
 * The verify path alone, per algorithm, in one process: raw `node:crypto` signature verification
 * (the floor), jose's `jwtVerify`, jsonwebtoken's `verify` (what express-jwt and passport-jwt run;
 * it has no EdDSA), fast-jwt without its cache, and jwt-gate's framework-free authenticator with
 * the verified-token cache off (a full verification: the fair comparison) and on (a repeated
 * token: a cache hit). Every verifier pins the algorithm, issuer and audience, and is checked to
 * accept the token before it is timed.
 *
 * `npm run bench:micro` (`vitest bench --run bench/micro`); `BENCH_SMOKE=1` runs a few
 * iterations of each, to check the file works. Uses the built package (`npm run build` first).
 */
import { createHmac, createPublicKey, createSecretKey, timingSafeEqual, verify } from 'node:crypto'
import { createVerifier } from 'fast-jwt'
import { jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { bench, describe } from 'vitest'
import type { KeySource } from '../../src/index.js'
import type * as IndexModule from '../../src/index.js'
import { built } from '../built.js'
import {
  ALGORITHMS,
  AUDIENCE,
  ISSUER,
  createFixture,
  importJoseKey,
  signTokens,
} from '../fixture.js'
import type { BenchAlgorithm, PublicKeyMaterial } from '../fixture.js'

const { createAuthenticator } = await built<typeof IndexModule>('index.js')
const OPTIONS =
  process.env.BENCH_SMOKE === '1'
    ? { time: 0, iterations: 5, warmupTime: 0, warmupIterations: 1 }
    : { time: 1000, warmupTime: 200 }

/** The signature check alone, with the key imported once: no header, no claims. */
function rawVerifier(alg: BenchAlgorithm, material: PublicKeyMaterial): (token: string) => boolean {
  if (alg === 'HS256') {
    const secret = Buffer.from(material.secret!, 'utf8')
    return (token) => {
      const dot = token.lastIndexOf('.')
      const mac = createHmac('sha256', secret).update(token.slice(0, dot)).digest()
      const signature = Buffer.from(token.slice(dot + 1), 'base64url')
      return signature.length === mac.length && timingSafeEqual(signature, mac)
    }
  }
  const key = createPublicKey(material.pem!)
  const keyInput = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key
  const hash = alg === 'EdDSA' ? null : 'sha256'
  return (token) => {
    const dot = token.lastIndexOf('.')
    const signature = Buffer.from(token.slice(dot + 1), 'base64url')
    return verify(hash, Buffer.from(token.slice(0, dot)), keyInput, signature)
  }
}

function gateKey(alg: BenchAlgorithm, material: PublicKeyMaterial): KeySource {
  if (alg === 'HS256') return { secret: material.secret!, encoding: 'utf8' }
  if (alg === 'EdDSA') return { ed25519: material.raw! }
  return { pem: material.pem! }
}

/** Every candidate for one algorithm, each checked against the token first. */
async function candidates(alg: BenchAlgorithm, material: PublicKeyMaterial, token: string) {
  const pinned = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE }
  const raw = rawVerifier(alg, material)
  const joseKey = await importJoseKey(alg, material)
  const keyObject =
    alg === 'HS256'
      ? createSecretKey(Buffer.from(material.secret!, 'utf8'))
      : createPublicKey(material.pem!)
  const fastJwt = createVerifier({
    key: alg === 'HS256' ? material.secret! : material.pem!,
    algorithms: [alg],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    cache: false,
  })
  const issuer = {
    issuer: ISSUER,
    audience: AUDIENCE,
    key: gateKey(alg, material),
    algorithms: [alg],
  }
  const gateOff = createAuthenticator({ issuers: [issuer], cache: false })
  const gateOn = createAuthenticator({ issuers: [issuer] })
  const request = { headers: { authorization: `Bearer ${token}` } }
  const list: [string, () => unknown][] = [
    ['node:crypto verify', () => raw(token)],
    ['jose jwtVerify', () => jwtVerify(token, joseKey, pinned)],
    ['fast-jwt, no cache', () => fastJwt(token)],
    ['jwt-gate, cache: false', () => gateOff.authenticate(request)],
    ['jwt-gate, cache hit', () => gateOn.authenticate(request)],
  ]
  if (alg !== 'EdDSA') {
    list.splice(2, 0, [
      'jsonwebtoken verify',
      () => jsonwebtoken.verify(token, keyObject, { ...pinned, algorithms: [alg] }),
    ])
  }
  for (const [name, run] of list) {
    const result = await run()
    if (result === false || result === undefined)
      throw new Error(`${name} rejects a valid ${alg} token`)
  }
  // The cache admits a token on its second verification: the first two calls above and here.
  await gateOn.authenticate(request)
  return list
}

const fixture = createFixture()
const setups = await Promise.all(
  ALGORITHMS.map(async (alg) => {
    const [token] = await signTokens(fixture, alg, 1)
    return [alg, await candidates(alg, fixture.public.keys[alg], token!)] as const
  }),
)
fixture.dispose()

for (const [alg, list] of setups) {
  describe(alg, () => {
    for (const [name, run] of list) {
      bench(
        name,
        async () => {
          await run()
        },
        OPTIONS,
      )
    }
  })
}
