/**
 * Redraws the README chart (`docs/images/bench.svg`) from a results file, without measuring:
 * `npx tsx bench/chart.ts [bench/results/latest.json]`.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { chartSubtitle, renderSvg } from './svg.js'
import type { Row } from './summary.js'

const file = process.argv[2] ?? 'bench/results/latest.json'
const results = JSON.parse(await readFile(file, 'utf8')) as {
  info: Parameters<typeof chartSubtitle>[0]
  rows: Row[]
}
await writeFile('docs/images/bench.svg', renderSvg(results.rows, chartSubtitle(results.info)))
process.stdout.write(`redrew docs/images/bench.svg from ${file}\n`)
