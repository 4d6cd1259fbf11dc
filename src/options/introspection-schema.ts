/**
 * The schema of `issuers[i].introspection` (RFC 7662), checked against `introspection-types.ts`
 * through `shape.ts`, and the rules that span issuers: one issuer at most takes opaque tokens.
 * The client key is imported (and checked against its algorithm) by `resolve-introspection.ts`.
 *
 * @module
 */
import { z } from 'zod'
import type { JWK } from 'jose'
import type { IntrospectionCache } from '../stores/types.js'
import { fetchUrlProblem } from '../keys/provider-urls.js'
import type { IntrospectionClientKey, IntrospectionOptions } from './introspection-types.js'
import type { AuthenticateOptions } from './types.js'
import { optionsObject } from './shape.js'

const SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const
const signingAlg = z.enum(SIGNING_ALGS, { error: `must be one of ${SIGNING_ALGS.join(', ')}` })

const clientKey = z.union(
  [
    z.strictObject({
      jwk: z.custom<JWK>(
        (value) => typeof value === 'object' && value !== null && 'd' in value,
        'must be a private JWK (with "d")',
      ),
      alg: signingAlg.optional(),
    }),
    z.strictObject({ pem: z.string().min(1), alg: signingAlg, kid: z.string().min(1).optional() }),
  ],
  { error: 'must be { jwk, alg? } (a private JWK) or { pem, alg, kid? }' },
) satisfies z.ZodType<IntrospectionClientKey>

const endpoint = z.string({ error: 'must be a URL string' }).superRefine((text, ctx) => {
  const problem = fetchUrlProblem(text)
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
})

/** At most a day, in seconds: a longer reuse would outlive any reasonable access token. */
const seconds = (min: number) => z.number().min(min).max(86_400)

const cache = z.custom<IntrospectionCache>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { get?: unknown }).get === 'function' &&
    typeof (value as { set?: unknown }).set === 'function',
  'must implement get() and set() (jwt-gate/stores/redis: createRedisIntrospectionCache)',
)

export const introspectionSchema = optionsObject<IntrospectionOptions>()({
  endpoint: endpoint.optional(),
  clientId: z.string({ error: 'must be the client id (a string)' }).min(1),
  clientSecret: z.string().min(1).optional(),
  clientKey: clientKey.optional(),
  opaque: z.boolean().optional(),
  jwt: z
    .union([z.literal(false), z.literal('always'), z.strictObject({ every: seconds(1) })], {
      error: 'must be false, "always" or { every: seconds } (1 to 86400)',
    })
    .optional(),
  response: z.enum(['json', 'jwt'], { error: 'must be "json" or "jwt"' }).optional(),
  cacheTtl: seconds(0).optional(),
  negativeTtl: z.number().min(0).max(3600).optional(),
  timeout: z.number().int().positive().max(60_000).optional(),
  cache: cache.optional(),
})

type Problem = (path: PropertyKey[], message: string) => void

/**
 * Each introspecting issuer has a name, one client credential, something to introspect and an
 * endpoint to ask; and one issuer at most takes opaque tokens (a token without `iss` names none).
 */
export function checkIntrospection(options: AuthenticateOptions, problem: Problem): void {
  let opaqueIssuer: number | undefined
  options.issuers.forEach((issuer, index) => {
    const settings = issuer.introspection
    if (settings === undefined) return
    const at = (...path: string[]) => ['issuers', index, 'introspection', ...path]
    if (issuer.issuer === null) {
      problem(['issuers', index, 'issuer'], 'cannot be null with introspection')
    }
    if ((settings.clientSecret === undefined) === (settings.clientKey === undefined)) {
      problem(at('clientSecret'), 'set exactly one of clientSecret and clientKey')
    }
    const opaque = settings.opaque ?? true
    if (!opaque && (settings.jwt ?? false) === false) {
      problem(at('opaque'), 'is false and jwt is off: nothing would be introspected')
    }
    if (settings.endpoint === undefined && !('discovery' in issuer.key)) {
      problem(at('endpoint'), "is required unless the issuer's key is { discovery: true }")
    }
    if (!opaque) return
    if (opaqueIssuer !== undefined) {
      problem(
        at('opaque'),
        `issuers[${opaqueIssuer}] takes opaque tokens already; set opaque: false on one of them`,
      )
    }
    opaqueIssuer ??= index
  })
}
