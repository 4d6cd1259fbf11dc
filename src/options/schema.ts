/**
 * The zod schema of {@link AuthenticateOptions}: every option's shape, range and message, in one
 * place, each options object checked by the compiler against its public type in `types.ts` (see
 * `shape.ts`), and the rules that span several options (a cookie source needs a cookie). What
 * needs the keys imported (a secret that is another issuer's public key) is checked where they
 * are imported, from `resolve.ts`.
 *
 * @module
 */
import { z } from 'zod'
import { ALL_ALGORITHMS, SUPPORTED_ALGORITHMS } from '../jws/algorithms.js'
import type { Algorithm } from '../jws/algorithms.js'
import { asClaimsSchema } from '../claims/parse.js'
import type { StandardSchemaV1 } from '../claims/parse.js'
import type { ClaimPath } from '../claims/mapping.js'
import type { AuthContext } from '../context/types.js'
import type { RevocationStore, UserStore } from '../stores/types.js'
import { MAX_CLOCK_TOLERANCE } from '../stores/validate.js'
import { COOKIE_NAME } from '../request/cookie-name.js'
import { resourceProblem } from '../metadata/resource.js'
import type { ResourceMetadataOptions } from '../metadata/options.js'
import { keySourceSchema } from './key-schema.js'
import { mtlsSchema } from './mtls-schema.js'
import { checkIssuerDpop, dpopSchema } from './dpop-schema.js'
import { checkIntrospection, introspectionSchema } from './introspection-schema.js'
import { optionsObject } from './shape.js'
import type {
  AuthenticateOptions,
  ExtractorRequest,
  IssuerOptions,
  IssuerResolverOptions,
  RejectionEvent,
  RevocationOptions,
  UserCheckOptions,
  VerifiedCacheOptions,
} from './types.js'

/** A required union's message, saying "missing" when the option is absent. */
const orMissing = (expected: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `is missing (undefined): ${expected}` : expected

/** A callback option of type F. */
const callback = <F>() => z.custom<F>((value) => typeof value === 'function', 'must be a function')

const isAlgorithm = (name: unknown): name is Algorithm =>
  typeof name === 'string' && ALL_ALGORITHMS.has(name)

const algorithms = z
  .array(z.string(), { error: 'must be a non-empty array' })
  .min(1, 'must be a non-empty array')
  .refine((names): names is Algorithm[] => names.every(isAlgorithm), {
    error: (issue) => {
      const names: unknown[] = Array.isArray(issue.input) ? issue.input : []
      const unsupported = names.find((name) => !isAlgorithm(name))
      const supported = SUPPORTED_ALGORITHMS.join(', ')
      return `${String(unsupported)} is not a supported algorithm (${supported})`
    },
  })

/** A claim name or dotted path, or an array of exact segments (see `claims/mapping.ts`). */
const claimPath = z.union([z.string().min(1), z.array(z.string().min(1)).min(1).readonly()], {
  error: 'must be a claim name or dotted path, or a non-empty array of exact segments',
}) satisfies z.ZodType<ClaimPath>

/** A preset's name, or a claims schema (any Standard Schema, or an older zod's object). */
const claimsOption = z.union(
  [
    z.enum(['default', 'clustercockpit', 'authotron']),
    z.unknown().transform((value, ctx): StandardSchemaV1 => {
      const schema = asClaimsSchema(value)
      if (schema === undefined) ctx.addIssue({ code: 'custom', message: 'not a schema' })
      return schema ?? z.NEVER
    }),
  ],
  {
    error:
      'must be "default", "clustercockpit", "authotron" or a schema with "~standard" ' +
      '(Standard Schema: zod 3.24+, zod 4, valibot, arktype)',
  },
)

export const issuerSchema = optionsObject<IssuerOptions>()({
  issuer: z.union([z.string().min(1), z.null()], {
    error: orMissing('must be the exact "iss" string, or null for tokens without "iss"'),
  }),
  key: keySourceSchema,
  algorithms: algorithms.optional(),
  audience: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1), z.literal(false)], {
      error: 'must be a non-empty string, a non-empty array of them, or false',
    })
    .optional(),
  // Capped where the revocation stores' retention is defined, so a denial outlives every token.
  clockTolerance: z.number().min(0).max(MAX_CLOCK_TOLERANCE).optional(),
  maxTokenAge: z.number().positive().optional(),
  requireExpiry: z.boolean().optional(),
  profile: z.literal('rfc9068', { error: 'must be "rfc9068"' }).optional(),
  typ: z.array(z.string().min(1)).optional(),
  claims: claimsOption.optional(),
  rolesClaim: claimPath.optional(),
  scopesClaim: claimPath.optional(),
  username: z
    .union([claimPath, callback<(claims: Record<string, unknown>) => string | undefined>()], {
      error: 'must be a claim path or a function',
    })
    .optional(),
  dpop: z.enum(['allowed', 'required'], { error: 'must be "allowed" or "required"' }).optional(),
  introspection: introspectionSchema.optional(),
})

/** Whether `value` has a method `name` (a store implementing its contract). */
const hasMethod = (value: unknown, name: string): boolean =>
  (typeof value === 'object' || typeof value === 'function') &&
  value !== null &&
  typeof Reflect.get(value, name) === 'function'

/** A store lookup's timeout in ms: at most a minute. */
const storeTimeout = z.number().int().positive().max(60_000).optional()

const usersSchema = optionsObject<UserCheckOptions>()({
  store: z.custom<UserStore>((value) => hasMethod(value, 'findUser'), 'must implement findUser()'),
  createUnknown: z.boolean().optional(),
  updateExisting: z.boolean().optional(),
  timeout: storeTimeout,
})

const revocationSchema = optionsObject<RevocationOptions>()({
  store: z.custom<RevocationStore>(
    (value) => hasMethod(value, 'isRevoked'),
    'must implement isRevoked()',
  ),
  timeout: storeTimeout,
})

const cacheSchema = optionsObject<VerifiedCacheOptions>()({
  max: z.number().int().positive().optional(),
  maxBytes: z.number().int().positive().optional(),
  ttl: z.number().positive().optional(),
})

const issuerResolverSchema = optionsObject<IssuerResolverOptions>()({
  resolve: callback<IssuerResolverOptions['resolve']>(),
  max: z.number().int().positive().optional(),
  ttl: z.number().positive().optional(),
  timeout: z.number().int().positive().max(60_000).optional(),
})

const origin = z
  .string()
  .refine(
    (text) => URL.canParse(text) && new URL(text).origin === text,
    'must be origins like https://app.example.org',
  )

const cookieSchema = optionsObject<NonNullable<AuthenticateOptions['cookie']>>()({
  name: z.string().regex(COOKIE_NAME, 'must be a valid cookie name (RFC 6265 token)'),
  signed: z.boolean().optional(),
})

const csrfSchema = optionsObject<Exclude<AuthenticateOptions['csrf'], boolean | undefined>>()({
  trustedOrigins: z.array(origin).optional(),
})

/** A resource identifier (see `metadata/resource.ts` for the rule and why). */
const resource = z.string({ error: 'must be a URL string' }).superRefine((text, ctx) => {
  const problem = resourceProblem(text)
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
})

/** RFC 6749 §3.3 `scope-token`, as the scope guards take them. */
const scopeToken = z
  .string()
  .regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be one scope (no spaces, quotes or backslashes)')

const resourceMetadataSchema = optionsObject<ResourceMetadataOptions>()({
  scopes: z.array(scopeToken).optional(),
  name: z.string().min(1).optional(),
  documentation: z
    .string()
    .refine((text) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol), {
      error: 'must be an http(s) URL',
    })
    .optional(),
})

type Problem = (path: PropertyKey[], message: string) => void

/** Each `iss` names one issuer, and one issuer at most is for tokens without `iss`. */
function checkIssuersDistinct(issuers: readonly IssuerOptions[], problem: Problem): void {
  const seen = new Set<string | null>()
  issuers.forEach(({ issuer }, index) => {
    if (seen.has(issuer)) {
      const message = issuer === null ? 'only one issuer may be null' : 'is configured twice'
      problem(['issuers', index, 'issuer'], message)
    }
    seen.add(issuer)
  })
}

/**
 * An issuer with the RFC 9068 profile leaves out nothing the profile requires: the audience check
 * (§4: the resource server MUST validate `aud`; its own `audience` or the gate's `resource`), `iss` and `exp` (§2.2), and a `typ` other than
 * `at+jwt` (§4: any other value MUST be rejected).
 */
function checkProfiles(options: AuthenticateOptions, problem: Problem): void {
  options.issuers.forEach((issuer, index) => {
    if (issuer.profile !== 'rfc9068') return
    const refuse = (option: keyof IssuerOptions, what: string) =>
      problem(['issuers', index, option], `${what} with profile "rfc9068" (RFC 9068)`)
    if (issuer.audience === false) refuse('audience', 'cannot be false: aud must be checked')
    if (issuer.audience === undefined && options.resource === undefined) {
      refuse('audience', 'is required (or the gate\'s "resource"): aud must be checked')
    }
    if (issuer.issuer === null) refuse('issuer', 'cannot be null: access tokens carry "iss"')
    if (issuer.requireExpiry === false) refuse('requireExpiry', 'cannot be false')
    if (issuer.typ !== undefined) refuse('typ', 'cannot be set: only "at+jwt" is accepted')
  })
}

/** Given token sources name each source once, and name the cookie exactly when there is one. */
function checkSources(options: AuthenticateOptions, problem: Problem): void {
  const { sources, cookie } = options
  if (sources === undefined) return
  if (new Set(sources).size !== sources.length) problem(['sources'], 'lists a source twice')
  if (sources.includes('cookie') && cookie === undefined) {
    problem(['cookie'], 'is required when sources include "cookie"')
  }
  if (!sources.includes('cookie') && cookie !== undefined) {
    problem(['sources'], 'must include "cookie" when a cookie is configured')
  }
}

/** A user check that creates or updates users needs a store that can. */
function checkUserStore(users: UserCheckOptions | undefined, problem: Problem): void {
  if (users?.createUnknown === true && typeof users.store.createUser !== 'function') {
    problem(['users', 'createUnknown'], 'the user store has no createUser()')
  }
  if (users?.updateExisting === true && typeof users.store.updateUser !== 'function') {
    problem(['users', 'updateExisting'], 'the user store has no updateUser()')
  }
}

/** The metadata members need a resource to describe. */
function checkResourceMetadata(options: AuthenticateOptions, problem: Problem): void {
  if (options.resourceMetadata !== undefined && options.resource === undefined) {
    problem(['resourceMetadata'], 'needs "resource" (the identifier the document describes)')
  }
}

/** The schema of every option; `parse.ts` turns its first issue into an `AuthConfigError`. */
export const optionsSchema = optionsObject<AuthenticateOptions>()({
  // At least one, unless an issuer resolver supplies them all (checked below).
  issuers: z.array(issuerSchema),
  sources: z
    .array(z.enum(['header', 'cookie']))
    .min(1)
    .optional(),
  cookie: cookieSchema.optional(),
  conflict: z.enum(['reject', 'prefer-header', 'prefer-cookie']).optional(),
  extractToken:
    callback<
      (req: ExtractorRequest) => string | undefined | Promise<string | undefined>
    >().optional(),
  csrf: z
    .union([z.boolean(), csrfSchema], {
      error: 'must be true, false or { trustedOrigins }',
    })
    .optional(),
  credentials: z.enum(['required', 'optional']).optional(),
  resource: resource.optional(),
  resourceMetadata: resourceMetadataSchema.optional(),
  realm: z.string().min(1).optional(),
  maxTokenLength: z.number().int().min(16).max(65_536).optional(),
  clock: callback<() => Date>().optional(),
  users: usersSchema.optional(),
  revocation: revocationSchema.optional(),
  cache: z
    .union([z.literal(false), cacheSchema], { error: 'must be false or { max?, maxBytes?, ttl? }' })
    .optional(),
  yieldAfterVerification: z.boolean().optional(),
  corsPreflight: z.enum(['pass', 'authenticate']).optional(),
  onAuthenticated: callback<(auth: AuthContext) => unknown>().optional(),
  onRejected: callback<(event: RejectionEvent) => unknown>().optional(),
  issuerResolver: issuerResolverSchema.optional(),
  mtls: mtlsSchema.optional(),
  dpop: dpopSchema.optional(),
}).superRefine((options, ctx) => {
  // The rules that span several options, once each option is valid on its own.
  const problem: Problem = (path, message) => ctx.addIssue({ code: 'custom', path, message })
  if (options.issuers.length === 0 && options.issuerResolver === undefined) {
    problem(['issuers'], 'must list at least one issuer (or set issuerResolver)')
  }
  checkIssuersDistinct(options.issuers, problem)
  checkProfiles(options, problem)
  checkSources(options, problem)
  checkUserStore(options.users, problem)
  checkResourceMetadata(options, problem)
  checkIssuerDpop(options, problem)
  checkIntrospection(options, problem)
})
