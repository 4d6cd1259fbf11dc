/** How the benchmark's reports write a ratio. */

/** A ratio as a percentage with `decimals` places: 0.9234 → "92 %" or "92.3 %". */
export function percent(ratio: number, decimals = 0): string {
  return `${(ratio * 100).toFixed(decimals)} %`
}
