/**
 * Human-readable distance between two instants ("3 min ago", "in 12 min"), for `inspect`.
 *
 * @module
 */

const STEPS: [limitSeconds: number, sizeSeconds: number, unit: string][] = [
  [90, 1, 's'],
  [90 * 60, 60, 'min'],
  [36 * 3600, 3600, 'h'],
  [Number.POSITIVE_INFINITY, 86_400, 'd'],
]

/** "just now", "42 s ago", "in 12 min", "3 h ago", "in 5 d". */
export function formatRelative(when: Date, now: Date): string {
  const diff = (when.getTime() - now.getTime()) / 1000
  const abs = Math.abs(diff)
  if (abs < 1) return 'just now'
  const [, size, unit] = STEPS.find(([limit]) => abs < limit) ?? STEPS[STEPS.length - 1]!
  const amount = `${Math.round(abs / size)} ${unit}`
  return diff < 0 ? `${amount} ago` : `in ${amount}`
}

/**
 * A NumericDate claim as a Date, or `undefined` when it is not a finite number inside the Date
 * range (such claims are shown raw and the verifier rejects them).
 */
export function numericDate(value: unknown): Date | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined
  const date = new Date(value * 1000)
  return Number.isNaN(date.getTime()) ? undefined : date
}
