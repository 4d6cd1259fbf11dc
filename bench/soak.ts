/**
 * A bounded memory soak: one jwt-gate server (EdDSA, default verified-token cache, SQLite user
 * check and in-memory revocation, each behind its cache) flooded over loopback with distinct
 * tokens, half valid (fresh `jti` each), half invalid (forged signatures, expired, garbage).
 * Stops at `--count` requests or `--seconds`, whichever comes first. Reports RSS before, during
 * and after (after a forced GC, then after `--idle` seconds without load), and checks that every
 * cache stayed within its bound.
 *
 * `tsx bench/soak.ts [--count N] [--seconds S] [--idle S] [--smoke] [--plain] [--server jose|bare]`;
 * writes bench/results/soak.{md,json} (soak-plain, soak-jose, soak-bare for the variants).
 */
import { randomBytes, sign } from 'node:crypto'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import type { Result } from 'autocannon'
import { AUDIENCE, ISSUER, createFixture } from './fixture.js'
import { writeResult } from './output.js'
import { PINNING, pinLoadGenerator, startServer } from './server-process.js'
import { SEEDED_USERS } from './servers/user-stores.js'

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    count: { type: 'string' },
    seconds: { type: 'string' },
    server: { type: 'string', default: 'jwt-gate' },
    // jwt-gate with the verified-token cache only (no user check, no revocation).
    plain: { type: 'boolean', default: false },
    // Seconds to stay idle after the flood before the last reading.
    idle: { type: 'string' },
  },
})
// `--server jose` floods the hand-written jose middleware instead: a control without any cache,
// to tell jwt-gate's memory from what Node and V8 keep after the same load. `--server bare` floods
// bare Express, which ignores the token: what the load alone makes V8 commit, before any
// verification.
const CONTROLS = {
  jose: 'hand-written jose middleware (control, no cache)',
  bare: 'bare Express, token ignored (control, no verification)',
} as const
const control = Object.hasOwn(CONTROLS, args.server)
  ? (args.server as keyof typeof CONTROLS)
  : undefined
if (control === undefined && args.server !== 'jwt-gate')
  throw new Error('--server must be jwt-gate, jose or bare')
const count = Number(args.count ?? (args.smoke ? 5000 : 1_000_000))
const seconds = Number(args.seconds ?? (args.smoke ? 5 : 240))
const idleSeconds = Number(args.idle ?? (args.smoke ? 0 : 30))
const IDLE_STEP_SECONDS = 5
if (
  !(count >= 1000 && count <= 10_000_000 && seconds > 0 && seconds <= 3600) ||
  !(idleSeconds >= 0 && idleSeconds <= 300)
) {
  throw new Error('bad options: --count 1000..10000000, --seconds 1..3600, --idle 0..300')
}

/** The documented defaults of the caches under test. */
const BOUNDS = { cacheSize: 5000, userCacheSize: 1000, revocationCacheSize: 10_000 }
/** Subjects cycle over more users than are seeded, so the user cache also sees unknown names. */
const SUBJECTS = SEEDED_USERS * 5

interface Stats {
  rss: number
  heapUsed: number
  /** Heap V8 has committed (used or free). */
  heapTotal: number
  /** Memory outside the JS heap that V8 knows of (Buffers, ArrayBuffers). */
  external: number
  cacheSize: number
  userCacheSize: number
  revocationCacheSize: number
}
interface Sample extends Stats {
  seconds: number
}

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')

async function main(): Promise<void> {
  pinLoadGenerator()
  const fixture = createFixture()
  const key = fixture.signers.EdDSA
  const header = b64({ alg: 'EdDSA', typ: 'JWT' })
  const now = Math.floor(Date.now() / 1000)
  let sequence = 0
  /** Token number `i`: kinds cycle valid, forged, valid, expired, valid, forged, valid, garbage. */
  const tokenFor = (i: number): string => {
    const kind = i % 8
    if (kind === 7)
      return `${randomBytes(12).toString('base64url')}.${randomBytes(30).toString('base64url')}.${randomBytes(20).toString('base64url')}`
    const expired = kind === 3
    const payload = b64({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: `user-${i % SUBJECTS}`,
      iat: expired ? now - 7200 : now,
      exp: expired ? now - 3600 : now + 3600,
      jti: `soak-${i}`,
      roles: ['user'],
    })
    const input = `${header}.${payload}`
    const signature =
      kind === 1 || kind === 5
        ? randomBytes(64)
        : sign(null, Buffer.from(input), key as Parameters<typeof sign>[2])
    return `${input}.${signature.toString('base64url')}`
  }

  const server = await startServer({
    file: control ?? 'jwt-gate',
    nodeArgs: ['--expose-gc', ...(process.env.SOAK_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])],
    env: {
      BENCH_FIXTURE: fixture.file,
      BENCH_ALG: 'EdDSA',
      BENCH_VARIANT: control !== undefined || args.plain ? '' : 'users-sqlite,revocation',
      BENCH_STATS: '1',
    },
  })
  const stats = async (gc = false): Promise<Stats> => {
    const response = await fetch(`${server.url}__stats${gc ? '?gc=1' : ''}`)
    return (await response.json()) as Stats
  }
  const samples: Sample[] = []
  const started = performance.now()
  /**
   * Waits `--idle` seconds without load, sampling. V8's memory reducer shrinks the young generation
   * and hands free pages back some seconds after allocation stops, which no forced GC does; so
   * "before" and "after idle" are both the state a server settles to between bursts.
   */
  const idle = async (): Promise<void> => {
    for (let waited = 0; waited < idleSeconds; waited += IDLE_STEP_SECONDS) {
      await new Promise((resolve) => setTimeout(resolve, IDLE_STEP_SECONDS * 1000))
      samples.push({ seconds: (performance.now() - started) / 1000, ...(await stats()) })
    }
  }
  try {
    // Warm-up with one token (JIT, lazy initialisation), so "before" is the steady idle state.
    const warmToken = tokenFor(0)
    await autocannon({
      url: server.url,
      connections: 10,
      amount: 2000,
      timeout: 10,
      headers: { authorization: `Bearer ${warmToken}` },
    })
    // Right after the warm-up the young generation is still grown to its working size; after the
    // idle wait it has shrunk. Growth is reported against both: from idle it includes V8 growing
    // the young generation back, which any Node server under load does.
    const warm = await stats(true)
    samples.push({ seconds: (performance.now() - started) / 1000, ...warm })
    await idle()
    const before = await stats()
    samples.push({ seconds: (performance.now() - started) / 1000, ...before })
    const floodStart = samples.length
    process.stdout.write(
      `before: rss ${mib(before.rss)} MiB; flooding ${count} tokens for at most ${seconds} s\n`,
    )

    const instance = autocannon({
      url: server.url,
      connections: 50,
      amount: count,
      timeout: 10,
      requests: [
        {
          method: 'GET',
          path: '/',
          setupRequest: (request) => ({
            ...request,
            headers: { authorization: `Bearer ${tokenFor(++sequence)}` },
          }),
        },
      ],
    })
    const stopTimer = setTimeout(() => instance.stop(), seconds * 1000)
    const poll = setInterval(() => {
      stats().then(
        (s) => {
          samples.push({ seconds: (performance.now() - started) / 1000, ...s })
          process.stdout.write(
            `  ${sequence} sent, rss ${mib(s.rss)} MiB${control === undefined ? `, caches ${s.cacheSize}/${s.userCacheSize}/${s.revocationCacheSize}` : ''}\n`,
          )
        },
        () => undefined,
      )
    }, 2000)
    let result: Result
    try {
      result = await instance
    } finally {
      clearTimeout(stopTimer)
      clearInterval(poll)
    }
    // The peak of the flood only: the warm reading, taken before idling, is not part of it.
    const during = samples
      .slice(floodStart)
      .reduce((peak, s) => (s.rss > peak.rss ? s : peak), before)
    const after = await stats(true)
    samples.push({ seconds: (performance.now() - started) / 1000, ...after })
    await idle()
    const settled = samples[samples.length - 1]!

    const checks = (Object.keys(BOUNDS) as (keyof typeof BOUNDS)[])
      .filter((name) => typeof before[name] === 'number')
      .map((name) => {
        const peak = Math.max(...samples.map((s) => s[name]))
        return { cache: name, bound: BOUNDS[name], peak, within: peak <= BOUNDS[name] }
      })
    const statuses = Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, { count: n }]) => [code, n]),
    )
    const summary = {
      date: new Date().toISOString(),
      node: process.version,
      pinned: PINNING,
      load: loadavg(),
      requested: count,
      secondsLimit: seconds,
      sent: sequence,
      elapsed: result.duration,
      rps: result.requests.average,
      statuses,
      errors: result.errors + result.timeouts,
      idleSeconds,
      rss: {
        warm: warm.rss,
        before: before.rss,
        peak: during.rss,
        after: after.rss,
        settled: settled.rss,
      },
      heapUsed: {
        warm: warm.heapUsed,
        before: before.heapUsed,
        after: after.heapUsed,
        settled: settled.heapUsed,
      },
      heapTotal: {
        warm: warm.heapTotal,
        before: before.heapTotal,
        peak: during.heapTotal,
        after: after.heapTotal,
        settled: settled.heapTotal,
      },
      external: {
        warm: warm.external,
        before: before.external,
        after: after.external,
        settled: settled.external,
      },
      checks,
      samples,
    }
    const growth = after.rss - before.rss
    const markdown = [
      `# Memory soak: ${control !== undefined ? CONTROLS[control] : args.plain ? 'jwt-gate, verified-token cache only' : 'jwt-gate with user check and revocation'}`,
      '',
      `${summary.date}, Node ${summary.node}; ${sequence.toLocaleString('en-US')} distinct tokens sent in ${summary.elapsed.toFixed(0)} s (limit ${count.toLocaleString('en-US')} or ${seconds} s), ${Math.round(summary.rps)} req/s; half valid (fresh \`jti\`), half forged, expired or garbage; subjects over ${SUBJECTS} names of which ${SEEDED_USERS} exist. Statuses: ${Object.entries(
        statuses,
      )
        .map(([c, n]) => `${c}: ${n}`)
        .join(
          ', ',
        )}; transport errors: ${summary.errors}. Load average at the end: ${summary.load.map((l) => l.toFixed(2)).join(' ')}.`,
      '',
      '| | RSS MiB | heap used MiB | heap committed MiB | external MiB |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...(
        [
          ['warm (after warm-up and GC, before idling)', warm],
          [`before (after warm-up, GC and ${idleSeconds} s idle)`, before],
          ['peak during the flood', during],
          ['after (GC)', after],
          ...(idleSeconds > 0 ? ([[`after ${idleSeconds} s idle`, settled]] as const) : []),
        ] as const
      ).map(
        ([label, s]) =>
          `| ${label} | ${mib(s.rss)} | ${mib(s.heapUsed)} | ${mib(s.heapTotal)} | ${mib(s.external)} |`,
      ),
      `| growth after (GC) − before | ${mib(growth)} | ${mib(after.heapUsed - before.heapUsed)} | ${mib(after.heapTotal - before.heapTotal)} | ${mib(after.external - before.external)} |`,
      `| growth peak − before | ${mib(during.rss - before.rss)} | | ${mib(during.heapTotal - before.heapTotal)} | |`,
      `| growth peak − warm | ${mib(during.rss - warm.rss)} | | ${mib(during.heapTotal - warm.heapTotal)} | |`,
      ...(idleSeconds > 0
        ? [
            `| growth after ${idleSeconds} s idle − before | ${mib(settled.rss - before.rss)} | ${mib(settled.heapUsed - before.heapUsed)} | ${mib(settled.heapTotal - before.heapTotal)} | ${mib(settled.external - before.external)} |`,
          ]
        : []),
      '',
      ...(checks.length === 0
        ? ['No cache to check (control).']
        : [
            '| Cache | Bound | Largest size seen | Within |',
            '| --- | ---: | ---: | :---: |',
            ...checks.map(
              (c) => `| ${c.cache} | ${c.bound} | ${c.peak} | ${c.within ? 'yes' : '**no**'} |`,
            ),
          ]),
      '',
    ].join('\n')
    process.stdout.write(`\n${markdown}`)
    const outDir = args.smoke ? join(tmpdir(), 'jwt-gate-bench-smoke') : 'bench/results'
    const base = control !== undefined ? `soak-${control}` : args.plain ? 'soak-plain' : 'soak'
    await writeResult(join(outDir, `${base}.md`), markdown)
    await writeResult(join(outDir, `${base}.json`), `${JSON.stringify(summary, null, 2)}\n`)
    if (checks.some((c) => !c.within)) process.exitCode = 1
  } finally {
    await server.stop()
    fixture.dispose()
  }
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1)
}

await main()
