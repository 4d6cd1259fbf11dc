/**
 * What one run of `npm run bench` writes: the Markdown table, the JSON file and the SVG chart.
 * Pure functions of the run's results, so the format can be read in one place.
 */

/** One slice of load against one server: what autocannon and the server's CPU clock reported. */
export interface Slice {
  round: number
  requests: number
  seconds: number
  /** Server CPU (user + system) during the slice, in microseconds. */
  cpuMicros: number
  p50Ms: number
  p99Ms: number
  /** Non-2xx answers, socket errors and timeouts: must be 0 for the row to mean anything. */
  failures: number
}

/** One server of one algorithm, summarised over its slices (medians). */
export interface Row {
  alg: string
  server: string
  reqPerSec: number
  cpuMicrosPerRequest: number
  /** Median over rounds of this server's req/s divided by bare Express's in the same round. */
  reqPerSecVsBare: number
  /** Median over rounds of this server's CPU per request divided by bare Express's. */
  cpuVsBare: number
  p99Ms: number
  failures: number
  slices: Slice[]
}

/** The whole run. */
export interface Run {
  smoke: boolean
  date: string
  commit: string
  node: string
  cpu: string
  cores: number
  pinned: boolean
  loadBefore: number[]
  loadAfter: number[]
  rounds: number
  secondsPerSlice: number
  connections: number
  rows: Row[]
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US')
const pct = (n: number): string => `${(n * 100).toFixed(0)} %`
const times = (n: number): string => `${n.toFixed(2)}x`

/** The Markdown report: how it was run, then one table row per algorithm and server. */
export function markdown(run: Run): string {
  const load = (l: number[]): string => l.map((n) => n.toFixed(2)).join(' ')
  const head = [
    `# Benchmark results${run.smoke ? ' (smoke run: numbers mean nothing)' : ''}`,
    '',
    `${run.date}, commit ${run.commit}; Node ${run.node} on ${run.cpu} (${run.cores} cores); ` +
      `servers ${run.pinned ? 'pinned to CPU 0, autocannon to CPU 1' : 'not pinned'}; ` +
      `load average before ${load(run.loadBefore)}, after ${load(run.loadAfter)}.`,
    '',
    `${run.rounds} rounds; in each round every server gets one slice of ${run.secondsPerSlice} s ` +
      `of autocannon with ${run.connections} connections and one repeated valid token, servers ` +
      'in a rotating order. Medians over rounds. "vs bare" is the median of per-round ratios to ' +
      'bare Express: req/s (higher is better) and server CPU per request (lower is better).',
    '',
    '| Alg | Server | req/s | req/s vs bare | CPU µs/req | CPU vs bare | p99 ms | failures |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  const rows = run.rows.map(
    (r) =>
      `| ${r.alg} | ${r.server} | ${int(r.reqPerSec)} | ${pct(r.reqPerSecVsBare)} | ` +
      `${r.cpuMicrosPerRequest.toFixed(0)} | ${times(r.cpuVsBare)} | ${r.p99Ms.toFixed(1)} | ${r.failures} |`,
  )
  return [...head, ...rows, ''].join('\n')
}

const escape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/**
 * The chart: one bar per algorithm and server (bare Express is the 100 % line), req/s as a share
 * of bare Express on the left, CPU per request as a multiple of bare Express's on the right.
 */
export function svg(run: Run): string {
  const rows = run.rows.filter((r) => r.server !== 'bare Express')
  const rowH = 16
  const groupGap = 10
  const labelW = 250
  const panelW = 250
  const top = 44
  const maxRate = Math.max(1, ...rows.map((r) => r.reqPerSecVsBare))
  const maxCpu = Math.max(1, ...rows.map((r) => r.cpuVsBare))
  const parts: string[] = []
  let y = top
  let alg = ''
  for (const r of rows) {
    if (r.alg !== alg) {
      if (alg !== '') y += groupGap
      alg = r.alg
    }
    const rateW = (r.reqPerSecVsBare / maxRate) * (panelW - 50)
    const cpuW = (r.cpuVsBare / maxCpu) * (panelW - 50)
    const fill = r.server.startsWith('jwt-gate') ? '#2a7a4b' : '#8a8f98'
    parts.push(
      `<text x="${labelW - 6}" y="${y + 12}" text-anchor="end">${escape(`${r.alg} · ${r.server}`)}</text>`,
      `<rect x="${labelW}" y="${y + 2}" width="${rateW.toFixed(1)}" height="${rowH - 4}" fill="${fill}"/>`,
      `<text x="${labelW + rateW + 4}" y="${y + 12}">${pct(r.reqPerSecVsBare)}</text>`,
      `<rect x="${labelW + panelW + 20}" y="${y + 2}" width="${cpuW.toFixed(1)}" height="${rowH - 4}" fill="${fill}"/>`,
      `<text x="${labelW + panelW + 24 + cpuW}" y="${y + 12}">${times(r.cpuVsBare)}</text>`,
    )
    y += rowH
  }
  const width = labelW + 2 * panelW + 30
  const height = y + 24
  const line = (x: number): string =>
    `<line x1="${x.toFixed(1)}" y1="${top - 4}" x2="${x.toFixed(1)}" y2="${y}" stroke="#c33" stroke-dasharray="3 3"/>`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${labelW}" y="16" font-weight="bold">req/s, share of bare Express (higher is better)</text>`,
    `<text x="${labelW + panelW + 20}" y="16" font-weight="bold">server CPU per request vs bare (lower is better)</text>`,
    `<text x="${labelW}" y="32" fill="#555">${escape(`${run.date.slice(0, 10)} · ${run.commit} · one repeated token · dashed line: bare Express`)}</text>`,
    line(labelW + (1 / maxRate) * (panelW - 50)),
    line(labelW + panelW + 20 + (1 / maxCpu) * (panelW - 50)),
    ...parts,
    `<text x="${labelW}" y="${height - 6}" fill="#555">npm run bench · bench/results/latest.md</text>`,
    '</svg>',
    '',
  ].join('\n')
}

/** CPU per request of each DPoP row over its library's bearer row with a fresh token. */
export function dpopRatios(rows: Row[]): string {
  const bearerOf: Record<string, string> = {
    'jwt-gate, DPoP': 'jwt-gate, cache: false',
    'jwt-gate, DPoP, cache: false': 'jwt-gate, cache: false',
    'express-oauth2-jwt-bearer, DPoP': 'express-oauth2-jwt-bearer',
  }
  const lines = rows.flatMap((row) => {
    const bearer = rows.find((r) => r.alg === row.alg && r.server === bearerOf[row.server])
    if (bearer === undefined) return []
    const ratio = row.cpuMicrosPerRequest / bearer.cpuMicrosPerRequest
    return [`${row.alg} ${row.server}: ${ratio.toFixed(2)}x the CPU of ${bearer.server}`]
  })
  return `DPoP CPU per request over bearer (fresh token):\n${lines.join('\n')}\n`
}
