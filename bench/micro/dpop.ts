/**
 * What DPoP adds to a request, in one process and by CPU time (other jobs on the machine count
 * less than by the clock): a bearer request with a fresh token (`cache: false`, a full
 * verification) against a DPoP request (a bound token and a fresh proof: one more signature check,
 * one replay-store write), with the token cache on (the default) and off. `rounds` rounds of `n`
 * calls per candidate, the order rotated every round; the proofs of a round are made before its
 * timing starts, one per call, never reused. Prints the median CPU per call, the spread (min to
 * max over rounds) and the ratios to the bearer request.
 *
 *   npm run build && node --import tsx bench/micro/dpop.ts ES256 2000 9
 */
import type * as IndexModule from '../../src/index.js'
import type * as MemoryModule from '../../src/stores/memory.js'
import { built } from '../built.js'
import { createDpopClient, makeProofs } from '../dpop.js'
import { ALGORITHMS, AUDIENCE, ISSUER, createFixture, signTokens } from '../fixture.js'
import type { BenchAlgorithm } from '../fixture.js'

const [alg = 'ES256', nArg = '2000', roundsArg = '9'] = process.argv.slice(2)
if (!ALGORITHMS.includes(alg as BenchAlgorithm))
  throw new Error(`algorithm: ${ALGORITHMS.join(', ')}`)
const n = Math.min(Math.max(Number(nArg), 1), 20_000)
const rounds = Math.min(Math.max(Number(roundsArg), 1), 30)

const { createAuthenticator } = await built<typeof IndexModule>('index.js')
const { createMemoryReplayStore } = await built<typeof MemoryModule>('stores/memory.js')
const fixture = createFixture()
const bench = alg as BenchAlgorithm
const [token] = await signTokens(fixture, bench, 1)
const client = await createDpopClient(fixture, bench)
const material = fixture.public.keys[bench]
fixture.dispose()

const ORIGIN = 'http://127.0.0.1:8080'
const key =
  bench === 'HS256'
    ? { secret: material.secret!, encoding: 'utf8' as const }
    : bench === 'EdDSA'
      ? { ed25519: material.raw! }
      : { pem: material.pem! }
const gate = (dpop: boolean, cache: boolean) =>
  createAuthenticator({
    issuers: [{ issuer: ISSUER, audience: AUDIENCE, key, algorithms: [bench] }],
    ...(cache ? {} : { cache: false }),
    ...(dpop
      ? {
          dpop: {
            mode: 'required' as const,
            replayStore: createMemoryReplayStore({ max: 1_000_000 }),
            publicOrigin: ORIGIN,
          },
        }
      : {}),
  })

const bearer = gate(false, false)
const bearerRequest = {
  method: 'GET',
  originalUrl: '/',
  headers: { authorization: `Bearer ${token}` },
}
const candidates = {
  'bearer, cache: false': { gate: bearer, dpop: false },
  'DPoP (token cache on)': { gate: gate(true, true), dpop: true },
  'DPoP, cache: false': { gate: gate(true, false), dpop: true },
}
type Name = keyof typeof candidates
const names = Object.keys(candidates) as Name[]

async function time(name: Name): Promise<number> {
  const { gate: g, dpop } = candidates[name]
  const proofs = dpop ? makeProofs(client, `${ORIGIN}/`, n, 30_000) : []
  if (dpop && proofs.length < n) throw new Error('proofs: not enough made in time')
  const requests = dpop
    ? proofs.map((proof) => ({
        method: 'GET',
        originalUrl: '/',
        headers: { authorization: `DPoP ${client.token}`, dpop: proof },
      }))
    : Array.from({ length: n }, () => bearerRequest)
  const before = process.cpuUsage()
  for (const request of requests) {
    const auth = await g.authenticate(request)
    if (auth === undefined || (dpop && auth.binding?.method !== 'dpop'))
      throw new Error(`${name}: refused`)
  }
  const used = process.cpuUsage(before)
  return (used.user + used.system) / n
}

// Warm-up, not recorded: JIT, the proof key's import, the token cache's first entry.
for (const name of names) await time(name)
const samples = new Map<Name, number[]>(names.map((name) => [name, []]))
for (let round = 0; round < rounds; round++) {
  const shift = round % names.length
  for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
    samples.get(name)!.push(await time(name))
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!
const base = median(samples.get('bearer, cache: false')!)
console.log(`${alg} (proof ${client.alg}), ${rounds} rounds of ${n} calls, CPU µs per call:`)
for (const name of names) {
  const values = samples.get(name)!
  const spread = `${Math.min(...values).toFixed(1)} to ${Math.max(...values).toFixed(1)}`
  const ratio = (median(values) / base).toFixed(2)
  console.log(`  ${name}: ${median(values).toFixed(1)} (${spread}), ${ratio}x bearer`)
}
for (const { gate: g } of Object.values(candidates)) await g.close()
