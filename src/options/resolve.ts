/**
 * Turns {@link AuthenticateOptions} into a frozen, fully prepared configuration, once, at start-up.
 * The schema (`schema.ts`) checks the options; here keys are imported (and checked against each
 * other), algorithm lists locked, paths compiled and defaults applied, so the request path does
 * no configuration work. Every mistake throws an `AuthConfigError` naming the option.
 *
 * @module
 */
import {
  refuseSecretsEqualToPublicKeys,
  refuseSecretsSharedByIssuers,
} from '../keys/secret-checks.js'
import type { ConfiguredKey } from '../keys/secret-checks.js'
import type {
  AuthenticateOptions,
  ConflictPolicy,
  ExtractorRequest,
  IssuerResolverOptions,
  IssuerOptions,
  RejectionEvent,
  SourceName,
} from './types.js'
import type { AuthContext } from '../context/types.js'
import type { RevocationStore, UserStore } from '../stores/types.js'
import type { CsrfPolicy } from '../request/csrf.js'
import { authorizationServersOf } from '../metadata/document.js'
import type { MetadataSettings } from '../metadata/document.js'
import { protectedResource } from '../metadata/resource.js'
import { parseOptions } from './parse.js'
import { resolveMtls } from '../mtls/settings.js'
import type { MtlsSettings } from '../mtls/settings.js'
import { resolveIssuer, warnAboutUncheckedAudiences } from './resolve-issuer.js'
import { dpopMetadata, resolveDpop } from './resolve-dpop.js'
import type { DpopSettings } from '../dpop/settings.js'
import type { ResolvedIssuer } from './resolve-issuer.js'

export type { ResolvedIssuer }

/** The issuer resolver and its bounds (the `issuerResolver` option), times in ms. */
export interface TenantSettings {
  readonly resolve: IssuerResolverOptions['resolve']
  readonly max: number
  readonly ttl: number
  /** How long an unknown issuer is remembered: `min(ttl, 30 s)`. */
  readonly negativeTtl: number
  readonly timeout: number
  /** The static issuers' keys, which no tenant's secret may repeat. */
  readonly staticKeys: readonly ConfiguredKey[]
  /** The gate's `resource`: a tenant without `audience` requires it in `aud`, as static issuers. */
  readonly resource: string | undefined
  /** Whether the gate has `dpop`: a tenant's own DPoP mode needs it, as a static issuer's does. */
  readonly dpop: boolean
}

/** The whole configuration, ready for the request path. */
export interface ResolvedConfig {
  readonly issuers: ReadonlyMap<string, ResolvedIssuer>
  readonly issuerWithoutIss: ResolvedIssuer | undefined
  /** The issuer whose introspection takes tokens that are not compact JWS (opaque), if any. */
  readonly opaqueIssuer: ResolvedIssuer | undefined
  /**
   * `typ` values the compact gate accepts besides `JWT`, before the issuer is chosen: every
   * issuer's. With an issuer resolver, tenants' sets are not known in advance, so any value
   * passes this early check; the chosen issuer's own set is still enforced.
   */
  readonly extraTyp: ReadonlySet<string>
  /** The issuer resolver, when configured. */
  readonly tenants: TenantSettings | undefined
  readonly sources: readonly SourceName[]
  readonly cookie: { readonly name: string; readonly signed: boolean } | undefined
  readonly conflict: ConflictPolicy
  readonly extractToken:
    ((req: ExtractorRequest) => string | undefined | Promise<string | undefined>) | undefined
  readonly csrf: CsrfPolicy | undefined
  readonly credentialsRequired: boolean
  readonly realm: string
  /** The `resource` option and its metadata document's members, when it is set. */
  readonly protectedResource: MetadataSettings | undefined
  readonly maxTokenLength: number
  /** Milliseconds since the epoch: `Date.now`, or the configured clock. */
  readonly now: () => number
  readonly users:
    | { store: UserStore; createUnknown: boolean; updateExisting: boolean; timeout: number }
    | undefined
  readonly revocation: { store: RevocationStore; timeout: number } | undefined
  readonly cache: { max: number; maxBytes: number; ttl: number } | undefined
  /** Where certificate-bound tokens find their certificate besides the connection (`mtls`). */
  readonly mtls: MtlsSettings | undefined
  /** Whether the Express middleware yields after a signature check (the option). */
  readonly yieldAfterVerification: boolean
  /** Whether the Express middleware lets CORS preflights through anonymous. */
  readonly passCorsPreflight: boolean
  readonly onAuthenticated: ((auth: AuthContext) => unknown) | undefined
  readonly onRejected: ((event: RejectionEvent) => unknown) | undefined
  /** DPoP (the `dpop` option), when configured. */
  readonly dpop: DpopSettings | undefined
}

/** Validates and prepares the options; throws `AuthConfigError` on the first mistake. */
export function resolveConfig(input: AuthenticateOptions): ResolvedConfig {
  const options = parseOptions(input)
  const issuers = resolveIssuers(options)
  const tenants = tenantSettings(options.issuerResolver, issuers, options)
  return Object.freeze({
    ...issuers,
    tenants,
    extraTyp: tenants === undefined ? issuers.extraTyp : EVERY_TYP,
    ...requestOptions(options),
    protectedResource: metadataSettings(options),
    now: options.clock === undefined ? Date.now : clockMillis(options.clock),
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
    cache: cacheBounds(options.cache),
    mtls: resolveMtls(options.mtls),
    yieldAfterVerification: options.yieldAfterVerification ?? true,
    passCorsPreflight: (options.corsPreflight ?? 'pass') === 'pass',
    onAuthenticated: options.onAuthenticated,
    onRejected: options.onRejected,
    dpop: resolveDpop(options.dpop),
  })
}

type IssuerIndex = Pick<
  ResolvedConfig,
  'issuers' | 'issuerWithoutIss' | 'opaqueIssuer' | 'extraTyp'
> & {
  readonly configuredKeys: readonly ConfiguredKey[]
}

/** Each issuer by its `iss`, and the one for tokens without `iss` (the schema made each unique). */
function resolveIssuers(options: AuthenticateOptions): IssuerIndex {
  const issuers = new Map<string, ResolvedIssuer>()
  let issuerWithoutIss: ResolvedIssuer | undefined
  const issuerOptions = options.issuers.map((issuer) => withResourceAudience(issuer, options))
  issuerOptions.forEach((raw, index) => {
    const resolved = resolveIssuer(raw, index)
    if (resolved.issuer === null) issuerWithoutIss = resolved
    else issuers.set(resolved.issuer, resolved)
  })
  const all = [...issuers.values(), ...(issuerWithoutIss ? [issuerWithoutIss] : [])]
  const configuredKeys = all.flatMap((issuer) => issuer.keys.configured)
  refuseSecretsEqualToPublicKeys(configuredKeys)
  refuseSecretsSharedByIssuers(configuredKeys)
  warnAboutUncheckedAudiences(issuerOptions)
  const extraTyp = new Set(all.flatMap((issuer) => [...issuer.typ.accepted]))
  const opaqueIssuer = all.find((issuer) => issuer.introspection?.opaque === true)
  return { issuers, issuerWithoutIss, opaqueIssuer, extraTyp, configuredKeys }
}

/** A set that holds every `typ`: the compact gate's set when tenants may bring their own. */
class EveryTyp extends Set<string> {
  override has(): boolean {
    return true
  }
}
const EVERY_TYP: ReadonlySet<string> = new EveryTyp()

/** Defaults of `issuerResolver`, in ms (`ttl` is given in seconds). */
const TENANT_DEFAULTS = { max: 100, ttl: 600_000, timeout: 3000, negativeTtl: 30_000 }

function tenantSettings(
  resolver: IssuerResolverOptions | undefined,
  { configuredKeys }: IssuerIndex,
  { resource, dpop }: Pick<AuthenticateOptions, 'resource' | 'dpop'>,
): TenantSettings | undefined {
  if (resolver === undefined) return undefined
  const ttl = resolver.ttl === undefined ? TENANT_DEFAULTS.ttl : resolver.ttl * 1000
  return Object.freeze({
    resolve: resolver.resolve,
    max: resolver.max ?? TENANT_DEFAULTS.max,
    ttl,
    negativeTtl: Math.min(ttl, TENANT_DEFAULTS.negativeTtl),
    timeout: resolver.timeout ?? TENANT_DEFAULTS.timeout,
    staticKeys: configuredKeys,
    resource,
    dpop: dpop !== undefined,
  })
}

/**
 * RFC 8707: a token for this resource names it in `aud`. An issuer without `audience` gets the
 * resource as its audience, so a token the issuer minted for another resource is refused; an
 * explicit `audience` (or `false`, not checked on purpose) is kept as written.
 */
export function withResourceAudience(
  issuer: IssuerOptions,
  { resource }: { resource?: string | undefined },
): IssuerOptions {
  if (resource === undefined || issuer.audience !== undefined) return issuer
  return { ...issuer, audience: resource }
}

/** The metadata document's members, from the options that already say them. */
function metadataSettings(options: AuthenticateOptions): MetadataSettings | undefined {
  if (options.resource === undefined) return undefined
  const extras = options.resourceMetadata
  return Object.freeze({
    ...protectedResource(options.resource),
    authorizationServers: authorizationServersOf(options.issuers.map(({ issuer }) => issuer)),
    headerSource: tokenSources(options).includes('header'),
    extraScopes: extras?.scopes ?? [],
    name: extras?.name,
    documentation: extras?.documentation,
    senderConstraints: {
      ...dpopMetadata(options.dpop),
      ...(options.mtls === undefined ? {} : { tls_client_certificate_bound_access_tokens: true }),
    },
  })
}

type RequestOptions = Pick<
  ResolvedConfig,
  | 'sources'
  | 'cookie'
  | 'conflict'
  | 'extractToken'
  | 'csrf'
  | 'credentialsRequired'
  | 'realm'
  | 'maxTokenLength'
>

/** Where tokens come from and how a request is read, with their defaults. */
function requestOptions(options: AuthenticateOptions): RequestOptions {
  const { cookie, csrf } = options
  return {
    sources: tokenSources(options),
    cookie:
      cookie === undefined ? undefined : { name: cookie.name, signed: cookie.signed ?? false },
    conflict: options.conflict ?? 'reject',
    extractToken: options.extractToken,
    csrf:
      csrf === undefined || csrf === false
        ? undefined
        : { trustedOrigins: new Set(csrf === true ? [] : (csrf.trustedOrigins ?? [])) },
    credentialsRequired: (options.credentials ?? 'required') === 'required',
    realm: options.realm ?? 'api',
    maxTokenLength: options.maxTokenLength ?? 8192,
  }
}

/** The token sources: given, or the header (and the cookie, when one is configured). */
function tokenSources(options: AuthenticateOptions): readonly SourceName[] {
  return options.sources ?? (options.cookie === undefined ? ['header'] : ['header', 'cookie'])
}

function clockMillis(clock: () => Date): () => number {
  return () => clock().getTime()
}

/**
 * Default bounds of the verified-token cache. An entry holds about 1.2 KiB of heap, so 5,000 are
 * about 6 MiB; V8 grows its heap to a multiple of what stays live, so the process RSS grows by
 * several times that (see docs/performance.md, memory soak). 5,000 distinct tokens within the
 * 5-minute TTL is a busy service; larger ones raise `cache.max`.
 */
const DEFAULT_CACHE_MAX = 5000
const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024

function cacheBounds(cache: AuthenticateOptions['cache']): ResolvedConfig['cache'] {
  if (cache === false) return undefined
  return {
    max: cache?.max ?? DEFAULT_CACHE_MAX,
    maxBytes: cache?.maxBytes ?? DEFAULT_CACHE_BYTES,
    ttl: cache?.ttl ?? 300,
  }
}
