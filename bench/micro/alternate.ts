/**
 * jwt-gate's full verification (`cache: false`) against fast-jwt (no cache), alternating in one
 * process and timed by CPU time rather than by the clock, so that other jobs on the machine count
 * less: `rounds` rounds of `n` calls each, the order flipped every round, the median per call.
 *
 *   npm run build && node --import tsx bench/micro/alternate.ts RS256 10000 8
 */
import { createVerifier } from 'fast-jwt'
import type * as IndexModule from '../../src/index.js'
import { built } from '../built.js'
import { AUDIENCE, ISSUER, createFixture, signTokens } from '../fixture.js'
import type { BenchAlgorithm } from '../fixture.js'

const [alg = 'RS256', n = '10000', rounds = '8'] = process.argv.slice(2) as [BenchAlgorithm?]
const { createAuthenticator } = await built<typeof IndexModule>('index.js')
const fixture = createFixture()
const [token] = await signTokens(fixture, alg, 1)
const material = fixture.public.keys[alg]
fixture.dispose()

const hmac = alg === 'HS256'
const gate = createAuthenticator({
  issuers: [
    {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: [alg],
      key: hmac ? { secret: material.secret!, encoding: 'utf8' } : { pem: material.pem! },
    },
  ],
  cache: false,
})
const fastJwt = createVerifier({
  key: hmac ? material.secret! : material.pem!,
  algorithms: [alg],
  allowedIss: ISSUER,
  allowedAud: AUDIENCE,
  cache: false,
})
const request = { headers: { authorization: `Bearer ${token}` } }
const candidates = {
  'jwt-gate': () => gate.authenticate(request),
  'fast-jwt': () => fastJwt(token!) as unknown,
}
const samples: Record<string, number[]> = { 'jwt-gate': [], 'fast-jwt': [] }
for (let round = 0; round < Number(rounds); round++) {
  const names = Object.keys(candidates) as (keyof typeof candidates)[]
  for (const name of round % 2 === 0 ? names : names.reverse()) {
    const before = process.cpuUsage()
    for (let i = 0; i < Number(n); i++) await candidates[name]()
    const used = process.cpuUsage(before)
    samples[name]!.push((used.user + used.system) / Number(n))
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!
const [gateUs, fastUs] = [median(samples['jwt-gate']!), median(samples['fast-jwt']!)]
console.log(
  `${alg}: jwt-gate ${gateUs.toFixed(2)} µs CPU per call, fast-jwt ${fastUs.toFixed(2)} µs;` +
    ` jwt-gate runs at ${((100 * fastUs) / gateUs).toFixed(1)} % of fast-jwt's speed`,
)
await gate.close()
