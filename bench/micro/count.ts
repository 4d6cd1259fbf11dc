/**
 * Instructions per call of one candidate (bench/micro/candidates.ts), counted under callgrind: on
 * a shared machine the clock is noise, instructions are not. Two runs under valgrind, each
 * preparing `warm + n` calls (keys kept in one temporary directory, DPoP proofs made up front),
 * making `warm` calls, then 0 or `n` more; (total at n - total at 0) / n is one call, warm, every
 * thread included (garbage collector, compiler), and the preparing cancels out.
 *
 *   npm run build && node --import tsx bench/micro/count.ts ES256 gate --warm 2000 --n 5000
 *
 * With `--calls K --keys DIR` it is one such run, to start under valgrind yourself.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ALGORITHMS } from '../fixture.js'
import type { BenchAlgorithm } from '../fixture.js'
import { candidate, createSetup } from './candidates.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    warm: { type: 'string', default: '2000' },
    n: { type: 'string', default: '5000' },
    calls: { type: 'string' },
    keys: { type: 'string' },
  },
})
const [alg = '', name = 'gate'] = positionals
if (!ALGORITHMS.includes(alg as BenchAlgorithm))
  throw new Error(`usage: count.ts ${ALGORITHMS.join('|')} CANDIDATE [--warm W] [--n N]`)
const [warm, n] = [values.warm, values.n].map((v) => Math.min(Math.max(Number(v), 0), 100_000))

/** One run: prepare `warm + n` calls, make `warm`, then `calls` more. */
async function run(calls: number, keys: string): Promise<void> {
  const c = await candidate(name, await createSetup(alg as BenchAlgorithm, keys))
  const call = c.prepare(warm! + n!)
  for (let i = 0; i < warm! + calls; i++) {
    if (!(await call())) throw new Error(`${name} refuses its ${alg} token`)
  }
  await c.close()
}

/** This script as one run (`--calls`), keys in `dir`. */
const runArgs = (dir: string, calls: number): string[] => {
  const options = [`--warm=${warm}`, `--n=${n}`, `--calls=${calls}`, `--keys=${dir}`]
  return ['--import', 'tsx', process.argv[1]!, alg, name, ...options]
}

/** The total of one run under callgrind. */
function total(dir: string, calls: number): number {
  const out = join(dir, `callgrind.${calls}`)
  const valgrind = ['-q', '--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath]
  execFileSync('valgrind', [...valgrind, ...runArgs(dir, calls)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return Number(/^(?:summary|totals): (\d+)/m.exec(readFileSync(out, 'utf8'))![1])
}

if (values.calls !== undefined) {
  if (values.keys === undefined) throw new Error('--calls needs --keys DIR')
  await run(Math.min(Number(values.calls), n!), values.keys)
} else {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-count-'))
  try {
    // Once without valgrind: fails fast on a broken candidate, and fills tsx's compile cache, which
    // the first counted run would otherwise fill (instructions the second one would not count).
    execFileSync(process.execPath, runArgs(dir, 0), { stdio: 'inherit' })
    const [zero, full] = [total(dir, 0), total(dir, n!)]
    const per = Math.round((full - zero) / n!)
    console.log(`${alg} ${name}: ${per} instructions per call (totals ${zero}, ${full}; n ${n})`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
