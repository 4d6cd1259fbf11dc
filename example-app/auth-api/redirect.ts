/**
 * Open-redirect protection for the `redirect` parameter of login and logout.
 *
 * @module
 */

/**
 * The redirect target when it is safe, else `undefined`. Safe means either a path on this server
 * (one leading `/`, never `//` or `/\`, which browsers read as another host) or an absolute
 * `http(s)` URL whose origin is exactly one of `allowedOrigins` (the protected apps).
 */
export function safeRedirect(
  value: unknown,
  allowedOrigins: readonly string[],
): string | undefined {
  if (typeof value !== 'string' || value === '' || value.length > 2048) return undefined
  // Control characters and backslashes are never needed in a real return URL and are how
  // parsers get tricked into disagreeing about the host.
  if ([...value].some((char) => char <= '\u001f' || char === '\u007f' || char === '\\'))
    return undefined
  if (value.startsWith('/')) return value.startsWith('//') ? undefined : value
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  if (url.username !== '' || url.password !== '') return undefined
  return allowedOrigins.includes(url.origin) ? url.href : undefined
}
