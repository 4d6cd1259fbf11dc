/**
 * The verify path alone, per algorithm, in one process: the `ROWS` below, candidates of
 * ./candidates.ts, from raw `node:crypto` signature verification (the floor) to jwt-gate's
 * framework-free authenticator with its verified-token cache off (a full verification: the fair
 * comparison) and on (a repeated token: a cache hit). Every verifier pins the algorithm, issuer
 * and audience, and is checked to accept the token before it is timed.
 *
 * `npm run bench:micro` (`vitest bench --run bench/micro`); `BENCH_SMOKE=1` runs a few
 * iterations of each, to check the file works. Uses the built package (`npm run build` first).
 */
import { bench, describe } from 'vitest'
import { ALGORITHMS } from '../fixture.js'
import { candidate, createSetup } from './candidates.js'
import type { Setup } from './candidates.js'

const OPTIONS =
  process.env.BENCH_SMOKE === '1'
    ? { time: 0, iterations: 5, warmupTime: 0, warmupIterations: 1 }
    : { time: 1000, warmupTime: 200 }

/** The rows of each algorithm: label, candidate. */
const ROWS = [
  ['node:crypto verify', 'raw'],
  ['jose jwtVerify', 'jose'],
  ['jsonwebtoken verify', 'jsonwebtoken'],
  ['fast-jwt, no cache', 'fast-jwt'],
  ['jwt-gate, cache: false', 'gate'],
  ['jwt-gate, cache hit', 'gate-cached'],
] as const

/** Every verifier for one algorithm, each checked against its token first. */
async function verifiers(setup: Setup) {
  const list: [string, () => unknown][] = []
  for (const [label, name] of ROWS) {
    if (name !== 'jsonwebtoken' || setup.alg !== 'EdDSA')
      list.push([label, (await candidate(name, setup)).prepare(1)])
  }
  // Twice: the cache admits a token on its second verification.
  for (const [name, run] of [...list, ...list]) {
    const result = await run()
    if (result === false || result === undefined)
      throw new Error(`${name} rejects a valid ${setup.alg} token`)
  }
  return list
}

const setups = await Promise.all(
  ALGORITHMS.map(async (alg) => [alg, await verifiers(await createSetup(alg))] as const),
)

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
