/**
 * The verify path alone, per algorithm, in one process (pinned to one core when `taskset`
 * exists): raw `node:crypto` signature verification, jose `jwtVerify` with an imported key,
 * jsonwebtoken's `verify` with a `KeyObject` (what express-jwt runs per request; it has no EdDSA),
 * and jwt-gate's `createAuthenticator().authenticate()` with the cache off, on (one repeated token),
 * and on but missing (distinct tokens). Each cell is the median of alternating rounds.
 *
 * `tsx bench/micro.ts [--seconds S] [--rounds N] [--smoke]`; writes bench/results/micro.{md,json}.
 */
import { createHmac, createPublicKey, createSecretKey, timingSafeEqual, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { built } from './built.js'
import type { KeySource } from '../src/index.js'
import {
  ALGORITHMS,
  AUDIENCE,
  ISSUER,
  createFixture,
  importJoseKey,
  signTokens,
} from './fixture.js'
import type { BenchAlgorithm, Fixture } from './fixture.js'
import { writeResult } from './output.js'
import { PINNING } from './server-process.js'
import { execFileSync } from 'node:child_process'
import { median } from './statistics.js'
import { measureOps, opsPerSecond } from './timing.js'
import type * as IndexModule from '../src/index.js'

const { createAuthenticator } = await built<typeof IndexModule>('index.js')

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
  },
})
const seconds = Number(args.seconds ?? (args.smoke ? 0.2 : 1))
const rounds = Number(args.rounds ?? (args.smoke ? 1 : 3))
if (!(seconds > 0 && seconds <= 60 && rounds >= 1 && rounds <= 20)) throw new Error('bad options')

const CANDIDATES = [
  'node:crypto verify',
  'jose jwtVerify',
  'jsonwebtoken verify',
  'jwt-gate, cache off',
  'jwt-gate, cache miss',
  'jwt-gate, cache hit',
] as const
type Candidate = (typeof CANDIDATES)[number]

/** The raw signature check only: what any JWT library must at least spend. */
function rawVerifier(alg: BenchAlgorithm, fixture: Fixture): (token: string) => boolean {
  const material = fixture.public.keys[alg]
  if (alg === 'HS256') {
    const secret = Buffer.from(material.secret!, 'utf8')
    return (token) => {
      const dot = token.lastIndexOf('.')
      const mac = createHmac('sha256', secret).update(token.slice(0, dot)).digest()
      const signature = Buffer.from(token.slice(dot + 1), 'base64url')
      return signature.length === mac.length && timingSafeEqual(signature, mac)
    }
  }
  const key: KeyObject = createPublicKey(material.pem!)
  const hash = alg === 'EdDSA' ? null : 'sha256'
  const keyInput = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key
  return (token) => {
    const dot = token.lastIndexOf('.')
    return verify(
      hash,
      Buffer.from(token.slice(0, dot)),
      keyInput,
      Buffer.from(token.slice(dot + 1), 'base64url'),
    )
  }
}

/**
 * jsonwebtoken's `verify` as express-jwt calls it, with the key imported once as a `KeyObject`
 * (express-jwt's fastest configuration) and the algorithm, issuer and audience pinned. Undefined
 * for EdDSA, which jsonwebtoken cannot verify.
 */
function jsonwebtokenVerifier(
  alg: BenchAlgorithm,
  fixture: Fixture,
): ((token: string) => unknown) | undefined {
  if (alg === 'EdDSA') return undefined
  const material = fixture.public.keys[alg]
  const key =
    alg === 'HS256'
      ? createSecretKey(Buffer.from(material.secret!, 'utf8'))
      : createPublicKey(material.pem!)
  const options = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE }
  return (token) => jsonwebtoken.verify(token, key, options)
}

function gateKey(alg: BenchAlgorithm, fixture: Fixture): KeySource {
  const material = fixture.public.keys[alg]
  if (alg === 'HS256') return { secret: material.secret!, encoding: 'utf8' }
  if (alg === 'EdDSA') return { ed25519: material.raw! }
  return { pem: material.pem! }
}

async function candidates(
  alg: BenchAlgorithm,
  fixture: Fixture,
  pool: readonly string[],
): Promise<Record<Candidate, (() => Promise<unknown>) | undefined>> {
  const token = pool[0]!
  const material = fixture.public.keys[alg]
  const raw = rawVerifier(alg, fixture)
  if (!raw(token)) throw new Error(`raw verifier rejects a valid ${alg} token`)
  const joseKey = await importJoseKey(alg, material)
  const peer = jsonwebtokenVerifier(alg, fixture)
  peer?.(token) // throws if jsonwebtoken rejects the valid token: then its row would mean nothing
  const issuer = {
    issuer: ISSUER,
    audience: AUDIENCE,
    key: gateKey(alg, fixture),
    algorithms: [alg],
  }
  const off = createAuthenticator({ issuers: [issuer], cache: false })
  const on = createAuthenticator({ issuers: [issuer] })
  const small = createAuthenticator({ issuers: [issuer], cache: { max: 100 } })
  const request = { headers: { authorization: `Bearer ${token}` } }
  let next = 0
  const distinct = pool.map((t) => ({ headers: { authorization: `Bearer ${t}` } }))
  return {
    'node:crypto verify': () => Promise.resolve(raw(token)),
    'jose jwtVerify': () =>
      jwtVerify(token, joseKey, { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE }),
    'jsonwebtoken verify': peer === undefined ? undefined : () => Promise.resolve(peer(token)),
    'jwt-gate, cache off': () => off.authenticate(request),
    'jwt-gate, cache miss': () => small.authenticate(distinct[next++ % distinct.length]!),
    'jwt-gate, cache hit': () => on.authenticate(request),
  }
}

// A candidate that cannot run an algorithm (jsonwebtoken with EdDSA) is NaN, shown as a dash.
const fmt = (n: number): string => (Number.isNaN(n) ? '–' : Math.round(n).toLocaleString('en-US'))
const fmtMicros = (n: number): string => (Number.isNaN(n) ? '–' : n.toFixed(1))
const pct = (a: number, b: number): string =>
  Number.isNaN(a / b) ? '–' : `${((a / b) * 100).toFixed(0)} %`

async function main(): Promise<void> {
  if (PINNING) execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' })
  const loadBefore = loadavg()
  const fixture = createFixture()
  const results: Record<string, Record<Candidate, number>> = {}
  const cpuResults: Record<string, Record<Candidate, number>> = {}
  try {
    for (const alg of ALGORITHMS) {
      const pool = await signTokens(fixture, alg, 1000)
      const ops = await candidates(alg, fixture, pool)
      for (const op of Object.values(ops)) {
        if (op !== undefined) await opsPerSecond(op, Math.min(0.3, seconds)) // warm-up
      }
      const samples = new Map<Candidate, number[]>(CANDIDATES.map((c) => [c, []]))
      const cpuSamples = new Map<Candidate, number[]>(CANDIDATES.map((c) => [c, []]))
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? CANDIDATES : [...CANDIDATES].reverse()
        for (const name of order) {
          const op = ops[name]
          if (op === undefined) continue
          const measured = await measureOps(op, seconds)
          samples.get(name)!.push(measured.opsPerSecond)
          cpuSamples.get(name)!.push(measured.cpuMicros)
        }
      }
      const medianOf = (list: number[]): number => (list.length === 0 ? NaN : median(list))
      results[alg] = Object.fromEntries(
        CANDIDATES.map((c) => [c, medianOf(samples.get(c)!)]),
      ) as Record<Candidate, number>
      cpuResults[alg] = Object.fromEntries(
        CANDIDATES.map((c) => [c, medianOf(cpuSamples.get(c)!)]),
      ) as Record<Candidate, number>
      process.stdout.write(
        `${alg}: ${CANDIDATES.map((c) => `${c} ${fmt(results[alg]![c])}/s`).join(', ')}\n`,
      )
    }
  } finally {
    fixture.dispose()
  }

  const lines = [
    '# Verify path micro-benchmark (ops/s, one core, sequential)',
    '',
    `Node ${process.version} on ${cpus()[0]?.model ?? 'unknown CPU'}; ${PINNING ? 'pinned to CPU 0' : 'not pinned'}; ${rounds} rounds of ${seconds} s, medians; load average before/after ${loadBefore.map((l) => l.toFixed(2)).join(' ')} / ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${new Date().toISOString()}.`,
    '',
    `| Alg | ${CANDIDATES.join(' | ')} | jose / raw | gate off / jose | gate miss / jose | gate hit / jose | gate off / jsonwebtoken |`,
    `| --- | ${CANDIDATES.map(() => '---:').join(' | ')} | ---: | ---: | ---: | ---: | ---: |`,
  ]
  for (const alg of ALGORITHMS) {
    const r = results[alg]!
    lines.push(
      `| ${alg} | ${CANDIDATES.map((c) => fmt(r[c])).join(' | ')} | ${pct(r['jose jwtVerify'], r['node:crypto verify'])} | ${pct(r['jwt-gate, cache off'], r['jose jwtVerify'])} | ${pct(r['jwt-gate, cache miss'], r['jose jwtVerify'])} | ${pct(r['jwt-gate, cache hit'], r['jose jwtVerify'])} | ${pct(r['jwt-gate, cache off'], r['jsonwebtoken verify'])} |`,
    )
  }
  lines.push(
    '',
    'CPU µs per operation (user + system of the whole process, so work WebCrypto hands to its thread pool counts too):',
    '',
    `| Alg | ${CANDIDATES.join(' | ')} |`,
    `| --- | ${CANDIDATES.map(() => '---:').join(' | ')} |`,
    ...ALGORITHMS.map(
      (alg) => `| ${alg} | ${CANDIDATES.map((c) => fmtMicros(cpuResults[alg]![c])).join(' | ')} |`,
    ),
  )
  const markdown = `${lines.join('\n')}\n`
  process.stdout.write(`\n${markdown}`)
  const outDir = args.smoke ? join(tmpdir(), 'jwt-gate-bench-smoke') : 'bench/results'
  await writeResult(join(outDir, 'micro.md'), markdown)
  await writeResult(
    join(outDir, 'micro.json'),
    `${JSON.stringify({ opsPerSecond: results, cpuMicros: cpuResults }, null, 2)}\n`,
  )
}

await main()
