/**
 * The verify path alone, per algorithm, in one process: raw `node:crypto` signature verification
 * (the floor), jose's `jwtVerify`, jsonwebtoken's `verify` (what express-jwt and passport-jwt run;
 * it has no EdDSA), fast-jwt without its cache, and jwt-gate's framework-free authenticator with
 * the verified-token cache off (a full verification: the fair comparison) and on (a repeated
 * token: a cache hit). Every verifier pins the algorithm, issuer and audience, and is checked to
 * accept the token before it is timed. The shared ones are candidates of ./candidates.ts.
 *
 * `npm run bench:micro` (`vitest bench --run bench/micro`); `BENCH_SMOKE=1` runs a few
 * iterations of each, to check the file works. Uses the built package (`npm run build` first).
 */
import { createPublicKey, createSecretKey } from 'node:crypto'
import { jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { bench, describe } from 'vitest'
import {
  ALGORITHMS,
  AUDIENCE,
  ISSUER,
  createFixture,
  importJoseKey,
  signToken,
} from '../fixture.js'
import type { BenchAlgorithm } from '../fixture.js'
import { candidate } from './candidates.js'
import type { Setup } from './candidates.js'

const OPTIONS =
  process.env.BENCH_SMOKE === '1'
    ? { time: 0, iterations: 5, warmupTime: 0, warmupIterations: 1 }
    : { time: 1000, warmupTime: 200 }

/** Every verifier for one algorithm, each checked against its token first. */
async function verifiers(setup: Setup) {
  const { alg, material, token } = setup
  const pinned = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE }
  const joseKey = await importJoseKey(alg, material)
  const keyObject =
    alg === 'HS256'
      ? createSecretKey(Buffer.from(material.secret!, 'utf8'))
      : createPublicKey(material.pem!)
  const shared = async (name: string) => (await candidate(name, setup)).prepare(1)
  const list: [string, () => unknown][] = [
    ['node:crypto verify', await shared('raw')],
    ['jose jwtVerify', () => jwtVerify(token, joseKey, pinned)],
    ['fast-jwt, no cache', await shared('fast-jwt')],
    ['jwt-gate, cache: false', await shared('gate')],
    ['jwt-gate, cache hit', await shared('gate-cached')],
  ]
  if (alg !== 'EdDSA') {
    list.splice(2, 0, [
      'jsonwebtoken verify',
      () => jsonwebtoken.verify(token, keyObject, { ...pinned, algorithms: [alg] }),
    ])
  }
  // Twice: the cache admits a token on its second verification.
  for (const [name, run] of [...list, ...list]) {
    const result = await run()
    if (result === false || result === undefined)
      throw new Error(`${name} rejects a valid ${alg} token`)
  }
  return list
}

const fixture = createFixture()
const setups = await Promise.all(
  ALGORITHMS.map(async (alg: BenchAlgorithm) => {
    const [signer, material] = [fixture.signers[alg], fixture.public.keys[alg]]
    const setup = { alg, signer, material, token: await signToken(signer, alg) }
    return [alg, await verifiers(setup)] as const
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
