/**
 * Reading environment variables the way the example app reads them (trimmed, blank as unset),
 * for `check-config --env`. Each helper reports a bad value under the variable's name and never
 * quotes the value: secrets and keys live in these variables.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { ProblemList } from './problems.js'

/** The environment being checked. */
export type Env = Record<string, string | undefined>

/** The trimmed value, `undefined` when unset or blank (as the app reads it). */
export function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

/** A comma-separated list; an empty item is an error. */
export function list(env: Env, name: string, problems: ProblemList): string[] | undefined {
  const text = read(env, name)
  if (text === undefined) return undefined
  const items = text.split(',').map((item) => item.trim())
  if (items.some((item) => item === '')) problems.error(name, 'has an empty list item')
  return items.filter((item) => item !== '')
}

/** An absolute http: or https: URL. */
export function httpUrl(env: Env, name: string, problems: ProblemList): URL | undefined {
  const text = read(env, name)
  if (text === undefined) return undefined
  let url: URL
  try {
    url = new URL(text)
  } catch {
    problems.error(name, 'must be an absolute URL')
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.error(name, 'must be an http: or https: URL')
    return undefined
  }
  return url
}

/** A whole number from `min` to `max`. */
export function integer(
  env: Env,
  name: string,
  min: number,
  max: number,
  problems: ProblemList,
): void {
  const text = read(env, name)
  if (text === undefined) return
  if (!/^\d+$/.test(text)) problems.error(name, 'must be a whole number')
  else if (Number(text) < min || Number(text) > max) {
    problems.error(name, `must be between ${min} and ${max}`)
  }
}

/** true/1/yes or false/0/no, in any case. */
export function boolean(env: Env, name: string, problems: ProblemList): boolean | undefined {
  const text = read(env, name)?.toLowerCase()
  if (text === undefined) return undefined
  if (['true', '1', 'yes'].includes(text)) return true
  if (['false', '0', 'no'].includes(text)) return false
  problems.error(name, 'must be true or false')
  return undefined
}

/** The text of the file the variable names, relative to `cwd`. */
export async function readFileVariable(
  env: Env,
  name: string,
  cwd: string,
  problems: ProblemList,
): Promise<string | undefined> {
  const path = read(env, name)
  if (path === undefined) return undefined
  try {
    return await readFile(resolve(cwd, path), 'utf8')
  } catch {
    problems.error(name, 'cannot be read')
    return undefined
  }
}

/** Parsed JSON, or undefined when the text is not JSON. */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
