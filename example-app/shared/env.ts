/**
 * Small readers for environment variables. Every failure is a {@link ConfigError} naming the
 * variable, so a wrong setting stops a program at start with a message an operator can act on.
 *
 * @module
 */

/** The environment as a plain record (`process.env`, or a literal in tests). */
export type Env = Readonly<Record<string, string | undefined>>

/** A bad configuration value. `variable` names the setting at fault. */
export class ConfigError extends Error {
  /** The environment variable (or config file key) at fault. */
  readonly variable: string

  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

/** The trimmed value, or `undefined` when the variable is unset or blank. */
export function readString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

/** A whole number within `[min, max]`, or the fallback when unset. */
export function readInteger(
  env: Env,
  name: string,
  fallback: number,
  range: { min: number; max: number },
): number {
  const text = readString(env, name)
  if (text === undefined) return fallback
  if (!/^\d+$/.test(text)) throw new ConfigError(name, 'must be a whole number')
  const value = Number(text)
  if (value < range.min || value > range.max) {
    throw new ConfigError(name, `must be between ${range.min} and ${range.max}`)
  }
  return value
}

/** A TCP port (0 lets the system choose, which tests use). */
export function readPort(env: Env, name: string, fallback: number): number {
  return readInteger(env, name, fallback, { min: 0, max: 65535 })
}

/** `true`/`false` (also `1`/`0`, `yes`/`no`), or the fallback when unset. */
export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const text = readString(env, name)?.toLowerCase()
  if (text === undefined) return fallback
  if (['true', '1', 'yes'].includes(text)) return true
  if (['false', '0', 'no'].includes(text)) return false
  throw new ConfigError(name, 'must be true or false')
}

/** A comma-separated list without empty items, or `undefined` when unset. */
export function readList(env: Env, name: string): string[] | undefined {
  const text = readString(env, name)
  if (text === undefined) return undefined
  const items = text.split(',').map((item) => item.trim())
  if (items.some((item) => item === '')) throw new ConfigError(name, 'has an empty list item')
  return items
}

/** An `http:` or `https:` URL, or `undefined` when unset. */
export function readHttpUrl(env: Env, name: string): URL | undefined {
  const text = readString(env, name)
  if (text === undefined) return undefined
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ConfigError(name, 'must be an absolute URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, 'must be an http: or https: URL')
  }
  return url
}

/** The RFC 6265 cookie-name token, as the library reads it. */
export { isCookieName } from '../../src/request/cookie-name.js'
