/**
 * A dependency-free SVG bar chart of the throughput sections: one bar per row, coloured by kind,
 * with the value and the ratio to bare Express.
 */
import { sections } from './markdown.js'
import type { RunInfo } from './markdown.js'
import type { Row } from './summary.js'

const COLOURS: Record<Row['scenario']['kind'], string> = {
  ceiling: '#8c8c8c',
  'jwt-gate': '#0f766e',
  jose: '#d97706',
  peer: '#4f6d9a',
}

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** Renders the chart; `subtitle` says where and when it was measured. */
export function renderSvg(rows: readonly Row[], subtitle: string): string {
  const width = 920
  const labelWidth = 330
  const barArea = 440
  const rowHeight = 20
  const max = Math.max(...rows.map((r) => r.rps), 1)
  const body: string[] = []
  let y = 58
  for (const section of sections(rows)) {
    y += 20
    body.push(`<text x="12" y="${y}" class="section">${escape(section.title)}</text>`)
    y += 8
    for (const row of section.rows) {
      const s = row.scenario
      const label = `${s.label}${s.alg === undefined ? '' : ` · ${s.alg}`}`
      const length = Math.max(1, (row.rps / max) * barArea)
      const ratio = row.vsBare === undefined ? '' : ` (${(row.vsBare * 100).toFixed(0)} %)`
      body.push(
        `<text x="${labelWidth - 8}" y="${y + 14}" class="label" text-anchor="end">${escape(label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${length.toFixed(1)}" height="${rowHeight - 6}" fill="${COLOURS[s.kind]}" rx="2"/>`,
        `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 14}" class="value">${Math.round(row.rps).toLocaleString('en-US')} req/s${ratio}</text>`,
      )
      y += rowHeight
    }
  }
  const legend = Object.entries({
    'bare Express': COLOURS.ceiling,
    'jwt-gate': COLOURS['jwt-gate'],
    'hand-written jose': COLOURS.jose,
    peers: COLOURS.peer,
  })
    .map(
      ([name, colour], i) =>
        `<rect x="${12 + i * 160}" y="${y + 16}" width="12" height="12" fill="${colour}"/><text x="${30 + i * 160}" y="${y + 26}" class="label">${escape(name)}</text>`,
    )
    .join('')
  const height = y + 44
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="jwt-gate throughput compared with bare Express and other JWT middlewares">`,
    '<style>text{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;fill:#1f2328}.title{font-size:17px;font-weight:600}.sub{font-size:12px;fill:#57606a}.section{font-size:13px;font-weight:600}.label{font-size:12px}.value{font-size:11px;fill:#57606a}</style>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    '<text x="12" y="26" class="title">Requests per second (higher is better), median of alternating runs</text>',
    `<text x="12" y="46" class="sub">${escape(subtitle)}</text>`,
    ...body,
    legend,
    '</svg>',
    '',
  ].join('\n')
}

/** The chart's subtitle: where, when and under which load the numbers were measured. */
export function chartSubtitle(info: {
  cpu: string
  cores: number
  node: string
  date: string
  pinned: boolean
  connections: number
  loadBefore: readonly number[]
  /** Absent in results written before `--answer` existed: those answered at once. */
  answer?: RunInfo['answer']
}): string {
  return `${info.cpu}, ${info.cores} cores, Node ${info.node}, ${info.date.slice(0, 10)}; ${info.pinned ? 'server on CPU 0, autocannon on CPU 1' : 'no pinning'}; ${info.connections} connections${info.answer === 'immediate' ? '; every route answers from setImmediate()' : ''}; load average ${info.loadBefore[0]?.toFixed(2) ?? '?'} at the start`
}
