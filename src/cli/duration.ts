/**
 * Go's `time.ParseDuration` grammar, which ClusterCockpit uses for `max-age` ("168h", "1h30m",
 * "2m") and which the CLI reuses for `--exp` so that one syntax serves both.
 *
 * @module
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y

/**
 * Parses a Go duration into milliseconds; `undefined` when the text is not one.
 * "0" alone is valid (Go allows it without a unit); a sign may lead.
 *
 * @see https://pkg.go.dev/time#ParseDuration
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text
  let sign = 1
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1
    rest = rest.slice(1)
  }
  if (rest === '0') return 0
  if (rest === '') return undefined
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < rest.length) {
    const start = PART.lastIndex
    const match = PART.exec(rest)
    if (match === null || match.index !== start) return undefined
    const [, value = '', unit = ''] = match
    total += Number(value) * (UNIT_MS[unit] ?? Number.NaN)
  }
  return Number.isFinite(total) ? sign * total : undefined
}

/** Remainders below this many seconds are float noise ("0.3h"), not a fraction of a second. */
const WHOLE_SECOND_TOLERANCE = 1e-6

/**
 * Parses a Go duration that jwt-gate needs in whole seconds: ClusterCockpit's `max-age`, which
 * becomes the middleware's `maxTokenAge`. `undefined` when the text is not a Go duration;
 * `'fraction'` when it is not a whole number of seconds ("900ms", "1s500ms"). Such a duration is
 * refused rather than rounded: rounding down turned "900ms" into 0, which means no limit, and
 * rounding up would quietly loosen it. The one rule for the example app and `check-config`.
 */
export function parseGoDurationSeconds(text: string): number | 'fraction' | undefined {
  const ms = parseGoDuration(text)
  if (ms === undefined) return undefined
  const seconds = ms / 1000
  const whole = Math.round(seconds)
  return Math.abs(seconds - whole) < WHOLE_SECOND_TOLERANCE ? whole : 'fraction'
}

/** Why a `'fraction'` duration is refused, for the example app's and `check-config`'s errors. */
export const WHOLE_SECONDS_MESSAGE =
  'must be a whole number of seconds, at least 1s (jwt-gate counts token age in seconds)'
