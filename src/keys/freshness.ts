/**
 * How long a fetched document stays fresh: what the provider's `Cache-Control` says (RFC 9111
 * §4.2.1, as a private cache), held between the configured bounds.
 *
 * @module
 */

/** The configured bounds, in ms. */
export interface FreshnessBounds {
  readonly min: number
  readonly max: number
}

/**
 * The freshness lifetime of an answer, in ms: `max-age` less the `Age` the answer already has,
 * clamped to `bounds`; `no-store` or `no-cache` give the minimum (the provider asks to revalidate
 * every time, which the minimum turns into "as often as allowed"); no usable `max-age` gives the
 * maximum. `s-maxage` is for shared caches and `Expires` is not read.
 */
export function freshnessOf(headers: Headers, bounds: FreshnessBounds): number {
  const directives = parseCacheControl(headers.get('cache-control'))
  if (directives.has('no-store') || directives.has('no-cache')) return bounds.min
  const maxAge = deltaSeconds(directives.get('max-age'))
  if (maxAge === undefined) return bounds.max
  const age = deltaSeconds(headers.get('age') ?? undefined) ?? 0
  const lifetime = Math.max(0, maxAge - age) * 1000
  return Math.min(bounds.max, Math.max(bounds.min, lifetime))
}

/** Directive names (lower case) to their values (unquoted; '' for a directive without one). */
function parseCacheControl(value: string | null): Map<string, string> {
  const directives = new Map<string, string>()
  if (value === null) return directives
  for (const part of value.split(',')) {
    const [name = '', ...rest] = part.split('=')
    const key = name.trim().toLowerCase()
    if (key === '' || directives.has(key)) continue
    directives.set(
      key,
      rest
        .join('=')
        .trim()
        .replace(/^"(.*)"$/, '$1'),
    )
  }
  return directives
}

/** A delta-seconds value (RFC 9111 §1.2.2): digits only; anything else is no value. */
function deltaSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,10}$/.test(value)) return undefined
  return Number(value)
}
