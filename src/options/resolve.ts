/**
 * Turns {@link AuthenticateOptions} into a frozen, fully prepared configuration, once, at start-up.
 * Keys are imported, algorithm lists locked, paths compiled and schemas chosen here, so the request
 * path does no configuration work. Every mistake throws an {@link AuthConfigError} naming the option.
 *
 * @module
 */
import { z } from 'zod'
import type { ZodType } from 'zod'
import { AuthConfigError } from '../errors.js'
import { createKeyResolver } from '../keys/key-resolver.js'
import type { KeyResolver } from '../keys/key-resolver.js'
import { normalizeTyp } from '../jws/compact.js'
import {
  refuseSecretsEqualToPublicKeys,
  refuseSecretsSharedByIssuers,
} from '../keys/secret-checks.js'
import { warnOnce } from '../warnings.js'
import { unknownOptionProblem } from './suggest.js'
import { authOTronClaims, clusterCockpitClaims } from '../claims/presets.js'
import { compilePath, readPath } from '../claims/mapping.js'
import type { CompiledPath } from '../claims/mapping.js'
import type { RegisteredClaimPolicy } from '../claims/registered.js'
import { asClaimsSchema } from '../claims/parse.js'
import type { StandardSchemaV1 } from '../claims/parse.js'
import type {
  AuthenticateOptions,
  ConflictPolicy,
  ExtractorRequest,
  IssuerOptions,
  RejectionEvent,
  SourceName,
} from './types.js'
import type { AuthContext } from '../context/types.js'
import type { RevocationStore, UserStore } from '../stores/types.js'
import { MAX_CLOCK_TOLERANCE } from '../stores/validate.js'
import type { CsrfPolicy } from '../request/csrf.js'
import { COOKIE_NAME } from '../request/cookie-name.js'

/** One issuer, ready for the request path. */
export interface ResolvedIssuer {
  readonly issuer: string | null
  readonly keys: KeyResolver
  readonly policy: RegisteredClaimPolicy
  /**
   * The claims schema, or undefined for the default: its one rule (a non-empty `sub`) is already
   * enforced by the registered-claims check, so running it would only copy the payload.
   */
  readonly schema: StandardSchemaV1 | undefined
  readonly typ: ReadonlySet<string>
  readonly rolesPath: CompiledPath
  readonly scopesPaths: readonly CompiledPath[]
  readonly username: (claims: Record<string, unknown>) => unknown
}

/** The whole configuration, ready for the request path. */
export interface ResolvedConfig {
  readonly issuers: ReadonlyMap<string, ResolvedIssuer>
  readonly issuerWithoutIss: ResolvedIssuer | undefined
  readonly extraTyp: ReadonlySet<string>
  readonly sources: readonly SourceName[]
  readonly cookie: { readonly name: string; readonly signed: boolean } | undefined
  readonly conflict: ConflictPolicy
  readonly extractToken:
    ((req: ExtractorRequest) => string | undefined | Promise<string | undefined>) | undefined
  readonly csrf: CsrfPolicy | undefined
  readonly credentialsRequired: boolean
  readonly realm: string
  readonly maxTokenLength: number
  /** Milliseconds since the epoch: `Date.now`, or the configured clock. */
  readonly now: () => number
  readonly users:
    | { store: UserStore; createUnknown: boolean; updateExisting: boolean; timeout: number }
    | undefined
  readonly revocation: { store: RevocationStore; timeout: number } | undefined
  readonly cache: { max: number; maxBytes: number; ttl: number } | undefined
  /** Whether the Express middleware lets CORS preflights through anonymous. */
  readonly passCorsPreflight: boolean
  readonly onAuthenticated: ((auth: AuthContext) => unknown) | undefined
  readonly onRejected: ((event: RejectionEvent) => unknown) | undefined
}

const storeTimeout = z.number().int().positive().max(60_000).optional()

/** Shape of the scalar options; issuers and keys are validated by hand for precise messages. */
const optionsSchema = z.strictObject({
  issuers: z.array(z.unknown()).min(1),
  sources: z
    .array(z.enum(['header', 'cookie']))
    .min(1)
    .optional(),
  cookie: z
    .strictObject({
      name: z.string().regex(COOKIE_NAME, 'must be a valid cookie name (RFC 6265 token)'),
      signed: z.boolean().optional(),
    })
    .optional(),
  conflict: z.enum(['reject', 'prefer-header', 'prefer-cookie']).optional(),
  extractToken: z.function().optional(),
  credentials: z.enum(['required', 'optional']).optional(),
  csrf: z
    .union(
      [
        z.boolean(),
        z.strictObject({
          trustedOrigins: z
            .array(
              z
                .string()
                .refine(
                  (o) => URL.canParse(o) && new URL(o).origin === o,
                  'must be origins like https://app.example.org',
                ),
            )
            .optional(),
        }),
      ],
      { error: 'must be true, false or { trustedOrigins }' },
    )
    .optional(),
  realm: z.string().min(1).optional(),
  maxTokenLength: z.number().int().min(16).max(65_536).optional(),
  clock: z.function().optional(),
  users: z
    .strictObject({
      store: z.custom<UserStore>(
        (v) => typeof (v as UserStore | null)?.findUser === 'function',
        'must implement findUser()',
      ),
      createUnknown: z.boolean().optional(),
      updateExisting: z.boolean().optional(),
      timeout: storeTimeout,
    })
    .optional(),
  revocation: z
    .strictObject({
      store: z.custom<RevocationStore>(
        (v) => typeof (v as RevocationStore | null)?.isRevoked === 'function',
        'must implement isRevoked()',
      ),
      timeout: storeTimeout,
    })
    .optional(),
  cache: z
    .union(
      [
        z.literal(false),
        z.strictObject({
          max: z.number().int().positive().optional(),
          maxBytes: z.number().int().positive().optional(),
          ttl: z.number().positive().optional(),
        }),
      ],
      { error: 'must be false or { max?, maxBytes?, ttl? }' },
    )
    .optional(),
  corsPreflight: z.enum(['pass', 'authenticate']).optional(),
  onAuthenticated: z.function().optional(),
  onRejected: z.function().optional(),
})

/** A claim name or dotted path, or an array of exact segments (see `claims/mapping.ts`). */
const claimPathOption = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: 'must be a claim name or dotted path, or a non-empty array of exact segments',
})

const issuerSchema = z.strictObject({
  issuer: z.union([z.string().min(1), z.null()], {
    error: 'must be the exact "iss" string, or null for tokens without "iss"',
  }),
  key: z.custom<object>(
    (value) => typeof value === 'object' && value !== null,
    'is required: one of ed25519, pem, jwk, jwks, jwksUrl, secret',
  ),
  algorithms: z.array(z.string()).optional(),
  audience: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1), z.literal(false)], {
      error: 'must be a non-empty string, a non-empty array of them, or false',
    })
    .optional(),
  // Capped where the revocation stores' retention is defined, so a denial outlives every token.
  clockTolerance: z.number().min(0).max(MAX_CLOCK_TOLERANCE).optional(),
  maxTokenAge: z.number().positive().optional(),
  requireExpiry: z.boolean().optional(),
  typ: z.array(z.string().min(1)).optional(),
  claims: z.unknown().optional(),
  rolesClaim: claimPathOption.optional(),
  scopesClaim: claimPathOption.optional(),
  username: z
    .union([claimPathOption, z.function()], { error: 'must be a claim path or a function' })
    .optional(),
})

function parseWith<T>(schema: ZodType<T>, value: unknown, prefix: string): T {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const first = result.error.issues[0]
  if (first === undefined) throw new AuthConfigError(prefix || '(options)', 'invalid')
  const { issue, path } = innermostIssue(first, first.path)
  if (issue.code === 'unrecognized_keys') {
    const name = issue.keys[0] ?? ''
    throw new AuthConfigError(
      optionPath(prefix, [...path, name]),
      unknownOptionProblem(name, objectKeysAt(schema, path)),
    )
  }
  const missing = issue.code === 'invalid_union' && valueAt(value, path) === undefined
  throw new AuthConfigError(
    optionPath(prefix, path) || '(options)',
    missing ? `is missing (undefined): ${issue.message}` : issue.message,
  )
}

/**
 * A union's own issue says only what the union expects. When the value had the shape of one
 * branch and failed inside it (`cache: { max: 'x' }`), that inner issue is the useful one.
 */
function innermostIssue(
  issue: z.core.$ZodIssue,
  path: readonly PropertyKey[],
): { issue: z.core.$ZodIssue; path: readonly PropertyKey[] } {
  if (issue.code !== 'invalid_union') return { issue, path }
  const inner = issue.errors
    .map((branch) => branch[0])
    .filter((candidate) => candidate !== undefined && candidate.path.length > 0)
    .sort((a, b) => b!.path.length - a!.path.length)[0]
  return inner === undefined ? { issue, path } : innermostIssue(inner, [...path, ...inner.path])
}

/** `issuers[0].key.secret` from a prefix and a zod path. */
function optionPath(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (joined, segment) =>
      typeof segment === 'number'
        ? `${joined}[${segment}]`
        : joined === ''
          ? String(segment)
          : `${joined}.${String(segment)}`,
    prefix,
  )
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, segment) =>
      typeof node === 'object' && node !== null
        ? (node as Record<PropertyKey, unknown>)[segment]
        : undefined,
    value,
  )
}

/** The option names an object schema at `path` knows, for "did you mean". */
function objectKeysAt(schema: ZodType, path: readonly PropertyKey[]): string[] {
  const node = path.reduce<unknown>((current, segment) => childSchema(current, segment), schema)
  return objectSchemasIn(node).flatMap((object) => Object.keys(object.shape))
}

function objectSchemasIn(node: unknown): z.ZodObject[] {
  if (node instanceof z.ZodOptional) return objectSchemasIn(node.unwrap())
  if (node instanceof z.ZodUnion) return (node.options as unknown[]).flatMap(objectSchemasIn)
  return node instanceof z.ZodObject ? [node] : []
}

function childSchema(node: unknown, segment: PropertyKey): unknown {
  if (node instanceof z.ZodOptional) return childSchema(node.unwrap(), segment)
  if (typeof segment === 'number') return node instanceof z.ZodArray ? node.element : undefined
  return objectSchemasIn(node)
    .map((object) => (object.shape as Record<PropertyKey, unknown>)[segment])
    .find((child) => child !== undefined)
}

function resolveSchema(claims: unknown, option: string): StandardSchemaV1 | undefined {
  if (claims === undefined || claims === 'default') return undefined
  if (claims === 'clustercockpit') return clusterCockpitClaims
  if (claims === 'authotron') return authOTronClaims
  const schema = asClaimsSchema(claims)
  if (schema !== undefined) return schema
  throw new AuthConfigError(
    option,
    'must be "default", "clustercockpit", "authotron" or a schema with "~standard" ' +
      '(Standard Schema: zod 3.24+, zod 4, valibot, arktype)',
  )
}

function resolveIssuer(input: unknown, index: number): ResolvedIssuer {
  const option = `issuers[${index}]`
  const parsed = parseWith(issuerSchema, input, option) as IssuerOptions
  const keys = createKeyResolver(parsed.key, parsed.algorithms, option)
  const requireExpiry = parsed.requireExpiry ?? true
  if (!requireExpiry) {
    warnOnce(
      'JWT_GATE_EXPIRY_OPTIONAL',
      `jwt-gate: ${option}.requireExpiry is false: tokens without "exp" never expire`,
    )
  }
  const audience =
    parsed.audience === undefined || parsed.audience === false
      ? undefined
      : new Set(Array.isArray(parsed.audience) ? parsed.audience : [parsed.audience])
  const usernameFn = typeof parsed.username === 'function' ? parsed.username : undefined
  const usernamePath = compilePath(
    parsed.username === undefined || typeof parsed.username === 'function'
      ? 'sub'
      : parsed.username,
  )
  return Object.freeze({
    issuer: parsed.issuer,
    keys,
    policy: {
      issuer: parsed.issuer,
      audience,
      clockTolerance: parsed.clockTolerance ?? 5,
      maxTokenAge: parsed.maxTokenAge,
      requireExpiry,
    },
    schema: resolveSchema(parsed.claims, `${option}.claims`),
    typ: new Set((parsed.typ ?? []).map(normalizeTyp)),
    rolesPath: compilePath(parsed.rolesClaim ?? 'roles'),
    scopesPaths:
      parsed.scopesClaim === undefined
        ? [compilePath('scope'), compilePath('scopes')]
        : [compilePath(parsed.scopesClaim)],
    username: usernameFn ?? ((claims: Record<string, unknown>) => readPath(claims, usernamePath)),
  })
}

/** Presets of issuers that put no `aud` in their tokens: no audience to check, by design. */
const PRESETS_WITHOUT_AUDIENCE: ReadonlySet<unknown> = new Set(['clustercockpit', 'authotron'])

/**
 * An issuer without `audience` accepts every token its issuer mints, for any API. Said once at
 * start-up, unless `audience: false` says it on purpose or a preset's issuer puts no `aud`.
 */
function warnAboutUncheckedAudiences(issuers: readonly IssuerOptions[]): void {
  const unchecked = issuers
    .map((issuer, index) => ({ issuer, option: `"issuers[${index}].audience"` }))
    .filter(({ issuer }) => issuer.audience === undefined)
    .filter(({ issuer }) => !PRESETS_WITHOUT_AUDIENCE.has(issuer.claims))
    .map(({ option }) => option)
  if (unchecked.length === 0) return
  warnOnce(
    'JWT_GATE_AUDIENCE_UNCHECKED',
    `jwt-gate: no ${unchecked.join(', ')}: tokens the issuer minted for any other API are accepted ` +
      "too. Set this API's audience, or audience: false if the issuer puts none in its tokens",
  )
}

/**
 * Default bounds of the verified-token cache. An entry holds about 1.2 KiB of heap, so 5,000 are
 * about 6 MiB; V8 grows its heap to a multiple of what stays live, so the process RSS grows by
 * several times that (see docs/performance.md, memory soak). 5,000 distinct tokens within the
 * 5-minute TTL is a busy service; larger ones raise `cache.max`.
 */
const DEFAULT_CACHE_MAX = 5000
const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024

/** Validates and prepares the options; throws {@link AuthConfigError} on the first mistake. */
export function resolveConfig(input: AuthenticateOptions): ResolvedConfig {
  if (typeof input !== 'object' || input === null) {
    throw new AuthConfigError('(options)', 'an options object is required')
  }
  const options = parseWith(optionsSchema, input, '') as AuthenticateOptions

  const issuers = new Map<string, ResolvedIssuer>()
  let issuerWithoutIss: ResolvedIssuer | undefined
  options.issuers.forEach((raw, index) => {
    const resolved = resolveIssuer(raw, index)
    if (resolved.issuer === null) {
      if (issuerWithoutIss !== undefined) {
        throw new AuthConfigError(`issuers[${index}].issuer`, 'only one issuer may be null')
      }
      issuerWithoutIss = resolved
    } else {
      if (issuers.has(resolved.issuer)) {
        throw new AuthConfigError(`issuers[${index}].issuer`, 'is configured twice')
      }
      issuers.set(resolved.issuer, resolved)
    }
  })

  const allIssuers = [...issuers.values(), ...(issuerWithoutIss ? [issuerWithoutIss] : [])]
  const configuredKeys = allIssuers.flatMap((issuer) => issuer.keys.configured)
  refuseSecretsEqualToPublicKeys(configuredKeys)
  refuseSecretsSharedByIssuers(configuredKeys)
  warnAboutUncheckedAudiences(options.issuers)

  const sources =
    options.sources ?? (options.cookie === undefined ? ['header'] : ['header', 'cookie'])
  if (new Set(sources).size !== sources.length) {
    throw new AuthConfigError('sources', 'lists a source twice')
  }
  if (sources.includes('cookie') && options.cookie === undefined) {
    throw new AuthConfigError('cookie', 'is required when sources include "cookie"')
  }
  if (!sources.includes('cookie') && options.cookie !== undefined) {
    throw new AuthConfigError('sources', 'must include "cookie" when a cookie is configured')
  }

  if (
    options.users?.createUnknown === true &&
    typeof options.users.store.createUser !== 'function'
  ) {
    throw new AuthConfigError('users.createUnknown', 'the user store has no createUser()')
  }
  if (
    options.users?.updateExisting === true &&
    typeof options.users.store.updateUser !== 'function'
  ) {
    throw new AuthConfigError('users.updateExisting', 'the user store has no updateUser()')
  }

  const cache =
    options.cache === false
      ? undefined
      : {
          max: options.cache?.max ?? DEFAULT_CACHE_MAX,
          maxBytes: options.cache?.maxBytes ?? DEFAULT_CACHE_BYTES,
          ttl: options.cache?.ttl ?? 300,
        }

  const extraTyp = new Set<string>()
  for (const issuer of allIssuers) {
    for (const t of issuer.typ) extraTyp.add(t)
  }

  return Object.freeze({
    issuers,
    issuerWithoutIss,
    extraTyp,
    sources,
    cookie:
      options.cookie === undefined
        ? undefined
        : { name: options.cookie.name, signed: options.cookie.signed ?? false },
    conflict: options.conflict ?? 'reject',
    extractToken: options.extractToken,
    csrf:
      options.csrf === undefined || options.csrf === false
        ? undefined
        : {
            trustedOrigins: new Set(
              options.csrf === true ? [] : (options.csrf.trustedOrigins ?? []),
            ),
          },
    credentialsRequired: (options.credentials ?? 'required') === 'required',
    realm: options.realm ?? 'api',
    maxTokenLength: options.maxTokenLength ?? 8192,
    now: options.clock === undefined ? Date.now : () => options.clock!().getTime(),
    users:
      options.users === undefined
        ? undefined
        : {
            store: options.users.store,
            createUnknown: options.users.createUnknown ?? false,
            updateExisting: options.users.updateExisting ?? false,
            timeout: options.users.timeout ?? 3000,
          },
    revocation:
      options.revocation === undefined
        ? undefined
        : { store: options.revocation.store, timeout: options.revocation.timeout ?? 3000 },
    cache,
    passCorsPreflight: (options.corsPreflight ?? 'pass') === 'pass',
    onAuthenticated: options.onAuthenticated,
    onRejected: options.onRejected,
  })
}
