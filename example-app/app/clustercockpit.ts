/**
 * Reads the `jwts` section of a ClusterCockpit `config.json`, in both its 2022 camelCase names
 * (`cookieName`, `trustedExternalIssuer`, `forceJWTValidationViaDatabase`) and the current
 * kebab-case ones (`cookie-name`, `trusted-issuer`, `validate-user`).
 *
 * @module
 */
import { z } from 'zod'
import { WHOLE_SECONDS_MESSAGE, parseGoDurationSeconds } from '../../src/cli/duration.js'
import { ConfigError } from '../shared/env.js'

/** The `jwts` settings jwt-gate honours. */
export interface ClusterCockpitJwts {
  cookieName: string | undefined
  trustedIssuer: string | undefined
  validateUser: boolean
  syncUserOnLogin: boolean
  updateUserOnLogin: boolean
  /** `max-age` in seconds; `undefined` when absent or zero (no limit). */
  maxAgeSeconds: number | undefined
}

const jwtsSchema = z.object({
  'max-age': z.union([z.string(), z.number()]).optional(),
  'cookie-name': z.string().optional(),
  cookieName: z.string().optional(),
  'trusted-issuer': z.string().optional(),
  trustedIssuer: z.string().optional(),
  trustedExternalIssuer: z.string().optional(),
  'validate-user': z.boolean().optional(),
  validateUser: z.boolean().optional(),
  forceJWTValidationViaDatabase: z.boolean().optional(),
  'sync-user-on-login': z.boolean().optional(),
  syncUserOnLogin: z.boolean().optional(),
  'update-user-on-login': z.boolean().optional(),
  updateUserOnLogin: z.boolean().optional(),
})

const fileSchema = z.object({ jwts: jwtsSchema.optional() })

/** The one value of several aliases, or an error when they disagree. */
function pick<T>(entries: [string, T | undefined][]): T | undefined {
  const set = entries.filter((entry): entry is [string, T] => entry[1] !== undefined)
  const first = set[0]
  if (first === undefined) return undefined
  const other = set.find((entry) => entry[1] !== first[1])
  if (other !== undefined) {
    throw new ConfigError('CONFIG_FILE', `jwts.${first[0]} and jwts.${other[0]} disagree`)
  }
  return first[1]
}

/** `max-age` in whole seconds, by the same rule as `jwt-gate check-config`. */
function maxAge(value: string | number | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  const seconds =
    typeof value === 'number' ? (value === 0 ? 0 : undefined) : parseGoDurationSeconds(value)
  if (seconds === undefined) {
    throw new ConfigError('CONFIG_FILE', 'jwts.max-age must be a duration such as "2000h"')
  }
  if (seconds === 'fraction') {
    throw new ConfigError('CONFIG_FILE', `jwts.max-age ${WHOLE_SECONDS_MESSAGE}`)
  }
  if (seconds < 0) throw new ConfigError('CONFIG_FILE', 'jwts.max-age must be positive')
  return seconds === 0 ? undefined : seconds
}

/** Parses the text of a ClusterCockpit `config.json`; errors name `CONFIG_FILE` and the key. */
export function parseClusterCockpitConfig(text: string): ClusterCockpitJwts {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new ConfigError('CONFIG_FILE', 'is not valid JSON')
  }
  const parsed = fileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = issue?.path.join('.') ?? ''
    throw new ConfigError('CONFIG_FILE', `${path}: ${issue?.message ?? 'invalid'}`)
  }
  const jwts = parsed.data.jwts ?? {}
  return {
    cookieName: pick([
      ['cookie-name', jwts['cookie-name']],
      ['cookieName', jwts.cookieName],
    ]),
    trustedIssuer: pick([
      ['trusted-issuer', jwts['trusted-issuer']],
      ['trustedIssuer', jwts.trustedIssuer],
      ['trustedExternalIssuer', jwts.trustedExternalIssuer],
    ]),
    validateUser:
      pick([
        ['validate-user', jwts['validate-user']],
        ['validateUser', jwts.validateUser],
        ['forceJWTValidationViaDatabase', jwts.forceJWTValidationViaDatabase],
      ]) ?? false,
    syncUserOnLogin:
      pick([
        ['sync-user-on-login', jwts['sync-user-on-login']],
        ['syncUserOnLogin', jwts.syncUserOnLogin],
      ]) ?? false,
    updateUserOnLogin:
      pick([
        ['update-user-on-login', jwts['update-user-on-login']],
        ['updateUserOnLogin', jwts.updateUserOnLogin],
      ]) ?? false,
    maxAgeSeconds: maxAge(jwts['max-age']),
  }
}
