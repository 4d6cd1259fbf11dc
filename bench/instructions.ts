/**
 * Instructions per request under callgrind: each server runs under `valgrind --tool=callgrind`,
 * gets a warm-up, has its counters zeroed, serves a fixed number of requests and dumps. The count
 * includes V8's own threads (compiler, garbage collector), so it prices what a middleware makes the
 * process do, not only its own code. Unlike req/s it hardly moves with other load on the machine;
 * it still moves by a few per cent between runs with when garbage collections fall (run each row
 * twice). Every server gets the same request: one repeated EdDSA token as a bearer header.
 *
 * `tsx bench/instructions.ts [--rows bare,noop-auth,jwt-gate,declared-auth] [--warm N]
 * [--measure N] [--repeat R]`; prints a Markdown table. Needs `valgrind` and `callgrind_control`.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { createFixture, signTokens } from './fixture.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The rows this tool knows: a bench server and its `BENCH_VARIANT`. */
const ROWS: Record<string, { file: string; variant: string; label: string }> = {
  bare: { file: 'bare', variant: '', label: 'bare Express' },
  'noop-auth': {
    file: 'bare',
    variant: 'noop-auth',
    label: 'Express + middleware setting a property',
  },
  'like-gate': { file: 'bare', variant: 'noop-like-gate', label: 'Express + like-gate middleware' },
  'jwt-gate': { file: 'jwt-gate', variant: '', label: 'jwt-gate (req.auth an own property)' },
  'declared-auth': {
    file: 'jwt-gate',
    variant: 'declared-auth',
    label: 'jwt-gate, req.auth declared on the app',
  },
}

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: 'bare,noop-auth,jwt-gate,declared-auth' },
    warm: { type: 'string', default: '5000' },
    measure: { type: 'string', default: '8000' },
    repeat: { type: 'string', default: '2' },
  },
})
const rows = args.rows.split(',')
for (const row of rows) if (ROWS[row] === undefined) throw new Error(`--rows: unknown row ${row}`)
const warm = Number(args.warm)
const measure = Number(args.measure)
const repeat = Number(args.repeat)
for (const [name, value] of Object.entries({ warm, measure, repeat })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`)
}

const fixture = createFixture()
const [token] = await signTokens(fixture, 'EdDSA', 1)
const headers = { authorization: `Bearer ${token!}` }
const outDir = mkdtempSync(join(tmpdir(), 'jwt-gate-callgrind-'))

async function load(url: string, amount: number): Promise<void> {
  // Bounded by count; the long timeout allows for valgrind's slowdown.
  const result = await autocannon({ url, amount, connections: 10, headers, timeout: 120 })
  const failures = result.non2xx + result.errors + result.timeouts
  if (failures > 0) throw new Error(`${failures} failed requests`)
}

/** Instructions per request of one server, counted over `measure` requests after `warm`. */
async function count(row: string, run: number): Promise<number> {
  const { file, variant } = ROWS[row]!
  const out = join(outDir, `${row}-${run}.out`)
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--import',
      'tsx',
      `bench/servers/${file}.ts`,
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        BENCH_FIXTURE: fixture.file,
        BENCH_ALG: 'EdDSA',
        BENCH_VARIANT: variant,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = ''
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        const match = /listening (\d+)/.exec(stdout)
        if (match !== null) resolve(Number(match[1]))
      })
      child.on('exit', (code) => reject(new Error(`${row} exited with ${code}`)))
    })
    const url = `http://127.0.0.1:${port}/`
    await load(url, warm)
    execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' })
    await load(url, measure)
    execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' })
    // The dump requested above is the file with the `.1` suffix.
    const dump = readdirSync(outDir).find((name) => name === `${row}-${run}.out.1`)
    if (dump === undefined) throw new Error(`${row}: callgrind wrote no dump`)
    const total = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(outDir, dump), 'utf8'))
    if (total === null) throw new Error(`${row}: no total in the dump`)
    return Number(total[1]) / measure
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => {
      if (child.exitCode !== null) resolve(undefined)
      else child.on('exit', resolve)
    })
  }
}

const counts = new Map<string, number[]>(rows.map((row) => [row, []]))
try {
  // Rows in turn, `repeat` times, so that slow drift falls on every row alike.
  for (let run = 0; run < repeat; run++) {
    for (const row of rows) counts.get(row)!.push(await count(row, run))
  }
} finally {
  fixture.dispose()
  rmSync(outDir, { recursive: true, force: true })
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length
const bare = counts.has('bare') ? mean(counts.get('bare')!) : undefined
const lines = [
  `Instructions per request (callgrind; ${warm} requests of warm-up, ${measure} counted, ${repeat} runs per row)`,
  '',
  '| Row | Instructions per request (each run) | Mean | vs bare Express |',
  '| --- | --- | ---: | ---: |',
  ...rows.map((row) => {
    const values = counts.get(row)!
    const ratio = bare === undefined ? '' : `${((mean(values) / bare) * 100).toFixed(1)} %`
    const each = values.map((v) => Math.round(v).toLocaleString('en-US')).join(' / ')
    return `| ${ROWS[row]!.label} | ${each} | ${Math.round(mean(values)).toLocaleString('en-US')} | ${ratio} |`
  }),
]
process.stdout.write(`${lines.join('\n')}\n`)
