/**
 * "Did you mean": the closest known option name to a mistyped one, for configuration errors.
 *
 * @module
 */

/** Levenshtein distance, case-insensitive (`jwksURL` is one edit from nothing but `jwksUrl`). */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j)
  for (let i = 1; i <= x.length; i++) {
    const current = [i]
    for (let j = 1; j <= y.length; j++) {
      const substitution = previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution))
    }
    previous = current
  }
  return previous[y.length]!
}

/**
 * The known name closest to `name`, if it is close: at most a third of its letters (at least one)
 * differ. A case-only difference always counts as close.
 */
function closestName(name: string, known: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3))
  let best: { name: string; distance: number } | undefined
  for (const candidate of known) {
    const distance = editDistance(name, candidate)
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { name: candidate, distance }
    }
  }
  return best?.name
}

/** `unknown option`, with ` (did you mean "x"?)` when a known name is close. */
export function unknownOptionProblem(name: string, known: readonly string[]): string {
  const suggestion = closestName(name, known)
  return suggestion === undefined
    ? 'unknown option'
    : `unknown option (did you mean "${suggestion}"?)`
}
