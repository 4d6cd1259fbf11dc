/**
 * Candidates of bench/micro/candidates.ts alternating in one process, timed by CPU time rather
 * than by the clock, so that other jobs on the machine count less: one untimed round (warm-up:
 * compiler, key imports, caches filled), then `rounds` rounds of `n` calls each, the order rotated
 * every round; whatever a call consumes (a DPoP proof) is made before its round is timed. Prints
 * each candidate's median CPU µs per call, the range over rounds and the ratio to the first.
 *
 *   npm run build && node --import tsx bench/micro/alternate.ts RS256 gate,fast-jwt 10000 8
 */
import { ALGORITHMS } from '../fixture.js'
import type { BenchAlgorithm } from '../fixture.js'
import { median } from '../report.js'
import { candidate, createSetup } from './candidates.js'
import type { Candidate } from './candidates.js'

const [alg = '', list = 'gate,fast-jwt', nArg = '10000', roundsArg = '8'] = process.argv.slice(2)
if (!ALGORITHMS.includes(alg as BenchAlgorithm))
  throw new Error(`usage: alternate.ts ${ALGORITHMS.join('|')} A,B,... [n] [rounds]`)
const n = Math.min(Math.max(Number(nArg), 1), 100_000)
const rounds = Math.min(Math.max(Number(roundsArg), 1), 30)
const setup = await createSetup(alg as BenchAlgorithm)
const names = list.split(',')
const candidates = new Map<string, Candidate>()
for (const name of names) candidates.set(name, await candidate(name, setup))

/** CPU µs per call over `n` calls of one candidate. */
async function time(name: string): Promise<number> {
  const call = candidates.get(name)!.prepare(n)
  const before = process.cpuUsage()
  for (let i = 0; i < n; i++) {
    if (!(await call())) throw new Error(`${name} refuses its ${alg} token`)
  }
  const used = process.cpuUsage(before)
  return (used.user + used.system) / n
}

for (const name of names) await time(name)
const samples = new Map<string, number[]>(names.map((name) => [name, []]))
for (let round = 0; round < rounds; round++) {
  const shift = round % names.length
  for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
    samples.get(name)!.push(await time(name))
  }
}
const base = median(samples.get(names[0]!)!)
console.log(`${alg}, ${rounds} rounds of ${n} calls, CPU µs per call, median [range]:`)
for (const [name, values] of samples) {
  const range = `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`
  const ratio = (median(values) / base).toFixed(3)
  console.log(`  ${name}: ${median(values).toFixed(2)} [${range}], ${ratio}x ${names[0]}`)
}
for (const c of candidates.values()) await c.close()
