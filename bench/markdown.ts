/** The Markdown report of a run: environment, throughput tables, fixed-rate latency, targets. */
import type { ComparisonRow } from './interleaved-pass.js'
import type { LatencyRow, Row, TargetCheck } from './summary.js'
import { percent } from './format.js'

/** Facts about the machine and the run, printed above the tables. */
export interface RunInfo {
  date: string
  commit: string
  node: string
  cpu: string
  cores: number
  pinned: boolean
  loadBefore: number[]
  loadAfter: number[]
  rounds: number
  seconds: number
  connections: number
  /** Interleaved pass: measured slices per arm (0: not run), and their length in seconds. */
  cycles: number
  sliceSeconds: number
  /** Tokens signed per algorithm for `distinct` runs, each sent at most once per run. */
  poolSize: number
  /** Tokens cycled by `cycling` runs, and the cache they cycle through. */
  cyclePool: number
  cacheMax: number
  /** How the protected route answers: at once, or from `setImmediate()` (`--answer`). */
  answer: 'sync' | 'immediate'
  command: string
}

const int = (value: number): string => Math.round(value).toLocaleString('en-US')
const ms = (value: number): string => value.toFixed(value < 10 ? 2 : 1)
const ratio = (value: number | undefined): string => (value === undefined ? '' : percent(value))
/** Marks a ratio to bare Express taken from paired runs (see `Row.pairedWithBare`). */
const PAIRED_MARK = ' †'
const vsBare = (row: Row, value: number | undefined): string =>
  value === undefined ? '' : `${ratio(value)}${row.pairedWithBare ? PAIRED_MARK : ''}`

function table(rows: readonly Row[]): string {
  const lines = [
    '| Server | Alg | Source | req/s | p50 ms | p99 ms | vs Express | vs jose | CPU µs/req | vs Express (CPU) | vs jose (CPU) |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const row of rows) {
    const s = row.scenario
    const flag = row.failures > 0 ? ` ⚠ ${row.failures} failed` : ''
    lines.push(
      `| ${s.kind === 'jwt-gate' ? `**${s.label}**` : s.label}${flag} | ${s.alg ?? ''} | ${s.tokens === 'none' ? '' : s.transport} | ${int(row.rps)} | ${ms(row.p50)} | ${ms(row.p99)} | ${vsBare(row, row.vsBare)} | ${ratio(row.vsJose)} | ${row.cpuMicros === undefined ? '' : row.cpuMicros.toFixed(0)} | ${vsBare(row, row.cpuVsBare)} | ${ratio(row.cpuVsJose)} |`,
    )
  }
  return lines.join('\n')
}

/** Splits rows into the report's sections (bare Express heads each throughput table). */
export function sections(rows: readonly Row[]): { title: string; rows: Row[] }[] {
  const bare = rows.filter((r) => r.scenario.kind === 'ceiling')
  const users = (r: Row): boolean => r.scenario.variant?.includes('users') === true
  const sections = [
    {
      title: 'One repeated token (the verified-token cache helps jwt-gate; no peer caches)',
      rows: [...bare, ...rows.filter((r) => r.scenario.tokens === 'repeated' && !users(r))],
    },
    {
      title:
        'Distinct tokens (each sent once: every request is a full verification, no cache can help)',
      rows: [
        ...bare,
        ...rows.filter((r) => r.scenario.tokens === 'distinct' || r.scenario.tokens === 'cycling'),
      ],
    },
    {
      title: 'User check on a database, behind the user cache (one repeated token)',
      rows: [...bare, ...rows.filter(users)],
    },
  ].filter((section) => section.rows.length > bare.length)
  // `--shape`: bare Express with or without a no-op middleware, and jwt-gate's cached row beside.
  if (bare.some((r) => r.scenario.variant !== undefined)) {
    return [
      {
        title: 'Bare Express and no-op middlewares (the price of the middleware shape)',
        rows: [...rows],
      },
    ]
  }
  return sections
}

/** The whole report. */
export function renderMarkdown(
  info: RunInfo,
  rows: readonly Row[],
  latency: readonly LatencyRow[],
  latencyInterleaved: readonly LatencyRow[],
  interleaved: readonly ComparisonRow[],
  targets: readonly TargetCheck[],
): string {
  const parts: string[] = [
    '# jwt-gate benchmark results',
    '',
    `Command: \`${info.command}\` · ${info.date} · commit ${info.commit}`,
    '',
    'Ratios: `vs Express` and `vs jose` divide req/s; the `(CPU)` columns divide the server CPU time per request instead (user + system from /proc, so they show capacity even when other processes compete for the core). ' +
      `Ratios marked${PAIRED_MARK} are paired: each run of the row had a bare Express run of its own just before or after it, and the ratio is the median of those per-round ratios (the bare Express row shows the runs of its own place in the order).`,
    '',
    `Node ${info.node} on ${info.cpu} (${info.cores} cores); server ${info.pinned ? 'pinned to CPU 0, load generator (autocannon; the paced generator for the fixed rate) on CPU 1' : 'not pinned (no taskset)'}; ` +
      `${info.connections} connections, ${info.seconds} s per run after a warm-up, ${info.rounds} rounds in alternating order, medians shown. ` +
      `Distinct tokens: a pool of ${int(info.poolSize)} per algorithm, each token sent at most once per run (warm-up included), jwt-gate with its default cache; ` +
      `the "pool cycling" row sends ${int(info.cyclePool)} tokens over and over through a cache of ${int(info.cacheMax)} entries. ` +
      (info.answer === 'immediate'
        ? 'Every server answers from `setImmediate()` (`--answer immediate`), so all write their answers in the same event-loop phase. '
        : '') +
      `Load average before/after: ${info.loadBefore.map((l) => l.toFixed(2)).join(' ')} / ${info.loadAfter.map((l) => l.toFixed(2)).join(' ')}.`,
    '',
  ]
  for (const section of sections(rows)) {
    parts.push(`## ${section.title}`, '', table(section.rows), '')
  }
  const reused = rows.filter((r) => r.tokensReused > 0)
  if (reused.length > 0) {
    parts.push(
      `**Not valid as distinct-token runs:** the pool ran out and tokens were sent again in ${reused.map((r) => `${r.scenario.id} (${int(r.tokensReused)} requests)`).join(', ')}. Run with more tokens (\`--pool\`).`,
      '',
    )
  }
  if (latency.length > 0) {
    parts.push(
      `## Latency at a fixed rate (${latency[0]!.rate} req/s overall, one repeated token)`,
      '',
      `Open loop, evenly paced: one request every 1/${latency[0]!.rate} s over ${info.connections} keep-alive connections, latency from each request's intended send time to the end of its answer (coordinated omission corrected). \`req/s\` is the median achieved rate; a run more than 2 % behind the target counts as failed. Percentiles are those of all rounds' requests together (each run's histogram merged), not medians of each run's percentiles; the last column lists each round's own p99.`,
      '',
      latencyTable(latency, true),
      '',
    )
  }
  if (latencyInterleaved.length > 0) {
    parts.push(
      '## Latency at a fixed rate, interleaved',
      '',
      `The same pairs and rate, with both servers of a pair side by side on CPU 0: each gets one paced window of ${info.sliceSeconds} s per cycle (after a warm-up of its own on new connections), ${info.cycles} cycles in alternating order. Percentiles are those of all windows' requests together; the targets are judged by this table.`,
      '',
      latencyTable(latencyInterleaved, false),
      '',
    )
  }
  if (interleaved.length > 0) parts.push(interleavedSection(info, interleaved), '')
  if (targets.length > 0) {
    const met = targets.filter((t) => t.met).length
    parts.push(
      `## Targets of issue 6 (${met} of ${targets.length} met in this run)`,
      '',
      '| Target | Measured | Met (req/s) | Met (CPU cost) |',
      '| --- | ---: | :---: | :---: |',
      ...targets.map(
        (t) =>
          `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} | ${t.metByCpu === undefined ? '' : t.metByCpu ? 'yes' : '**no**'} |`,
      ),
      '',
    )
  }
  return parts.join('\n')
}

/** The interleaved pass: each compared row against the arms loaded in turn with it. */
function interleavedSection(info: RunInfo, rows: readonly ComparisonRow[]): string {
  const lines = [
    '## Close comparisons, interleaved (slices seconds apart)',
    '',
    `Each jwt-gate row below ran beside the servers it is compared with, all on CPU 0; the load went to one at a time in slices of ${info.sliceSeconds} s (closed loop, ${info.connections} keep-alive connections per server), cycling through them ${info.cycles} times in alternating order after a warm-up. \`ratio\` is the median over cycles of the jwt-gate slice's req/s over the other server's slice of the same cycle; the quartiles show how those per-cycle ratios spread. "bare Express, same request" gets the very request jwt-gate gets (the same \`Authorization\` or \`Cookie\` header, ignored), so it isolates what the middleware costs; the targets are judged against it. The CPU ratio divides server CPU µs per request the same way (theirs over jwt-gate's).`,
    '',
    '| jwt-gate row | against | cycles | jwt-gate req/s | their req/s | ratio | quartiles | CPU ratio |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |',
  ]
  for (const row of rows) {
    const flag =
      (row.failures > 0 ? ` ⚠ ${row.failures} failed` : '') +
      (row.reused > 0 ? ` ⚠ ${int(row.reused)} tokens re-sent` : '')
    const against = row.judged ? `**${row.against}**` : row.against
    lines.push(
      `| ${row.subject.id}${flag} | ${against} | ${row.cycles} | ${int(row.subjectRps)} | ${int(row.againstRps)} | ${percent(row.ratio, 1)} | ${percent(row.quartiles[0], 1)} – ${percent(row.quartiles[1], 1)} | ${row.cpuRatio === undefined ? '' : percent(row.cpuRatio, 1)} |`,
    )
  }
  return lines.join('\n')
}

/** Pooled fixed-rate percentiles; `perRun` adds each run's own p99 (the rounds, not the windows). */
function latencyTable(rows: readonly LatencyRow[], perRun: boolean): string {
  const head = perRun
    ? [
        '| Server | req/s | requests | p50 ms | p90 ms | p99 ms | p99.9 ms | p99 vs Express | p99 of each round, ms |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ]
    : [
        '| Server | req/s | requests | p50 ms | p90 ms | p99 ms | p99.9 ms | p99 vs Express |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ]
  return [
    ...head,
    ...rows.map(
      (r) =>
        `| ${r.scenario.label}${r.scenario.alg === undefined ? '' : ` ${r.scenario.alg}`}${r.failures > 0 ? ` ⚠ ${r.failures} failed` : ''} | ${int(r.rps)} | ${int(r.requests)} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.p999)} | ${r.p99VsBare === undefined ? '' : `${r.p99VsBare.toFixed(2)}x`} |${perRun ? ` ${r.p99Runs.map(ms).join(', ')} |` : ''}`,
    ),
  ].join('\n')
}
