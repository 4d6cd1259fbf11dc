/**
 * Prepares one validated issuer for the request path: its keys imported and algorithms locked,
 * its claim rules, schema and claim paths, and the start-up warnings its options call for.
 *
 * @module
 */
import { createKeyResolver } from '../keys/key-resolver.js'
import type { KeyResolver } from '../keys/key-resolver.js'
import { normalizeTyp, plainJwtRule } from '../jws/compact.js'
import type { TypRule } from '../jws/compact.js'
import { warnOnce } from '../warnings.js'
import { authOTronClaims, clusterCockpitClaims } from '../claims/presets.js'
import { compilePath, readPath } from '../claims/mapping.js'
import type { CompiledPath, RolesPath } from '../claims/mapping.js'
import { profileRules } from '../claims/access-token-profile.js'
import type { RegisteredClaimPolicy } from '../claims/registered.js'
import type { StandardSchemaV1 } from '../claims/parse.js'
import type { IssuerOptions } from './types.js'
import type { Introspector } from '../introspection/introspector.js'
import { resolveIntrospection } from './resolve-introspection.js'

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
  readonly typ: TypRule
  readonly rolesPath: RolesPath
  readonly scopesPaths: readonly CompiledPath[]
  readonly username: (claims: Record<string, unknown>) => unknown
  /** The issuer's DPoP mode (`dpop`), over the gate's. */
  readonly dpopMode: 'allowed' | 'required' | undefined
  /** Token introspection (RFC 7662), when the issuer has `introspection`. */
  readonly introspection: Introspector | undefined
  /** Set for a tenant, an issuer the issuer resolver supplied (see `pipeline/tenant-issuers.ts`). */
  readonly lease?: TenantLease
}

/**
 * How long an issuer resolver's answer holds. A verified token of a tenant whose lease ended is
 * verified afresh, so a tenant the resolver no longer knows stops passing at once.
 */
export interface TenantLease {
  /** Epoch ms (of the configured clock) at which the answer must be asked for again. */
  readonly until: number
  /** Set when the tenant is dropped (least recently used past `max`, or replaced). */
  retired: boolean
}

/**
 * Prepares `issuers[index]`, whose options the schema has validated (or a tenant's, named by its
 * option path).
 */
export function resolveIssuer(options: IssuerOptions, where: number | string): ResolvedIssuer {
  const option = typeof where === 'number' ? `issuers[${where}]` : where
  // Keys first: a key the import refuses stops the start-up before any warning is spent.
  const keys = createKeyResolver(options.key, options.algorithms, option, options.issuer)
  const requireExpiry = options.requireExpiry ?? true
  if (!requireExpiry) {
    warnOnce(
      'JWT_GATE_EXPIRY_OPTIONAL',
      `jwt-gate: ${option}.requireExpiry is false: tokens without "exp" never expire`,
    )
  }
  const profile = profileRules(options.profile)
  return Object.freeze({
    issuer: options.issuer,
    keys,
    policy: {
      issuer: options.issuer,
      audience: audienceSet(options.audience),
      clockTolerance: options.clockTolerance ?? 5,
      maxTokenAge: options.maxTokenAge,
      requireExpiry,
      profileClaims: profile?.checkClaims,
    },
    schema: claimsSchema(options.claims),
    typ: profile?.typ ?? plainJwtRule(new Set((options.typ ?? []).map(normalizeTyp))),
    rolesPath:
      options.rolesClaim === undefined && profile !== undefined
        ? profile.rolesPath
        : compilePath(options.rolesClaim ?? 'roles'),
    scopesPaths: scopesPathsOf(options.scopesClaim, profile?.scopesPaths),
    username: usernameOf(options.username),
    dpopMode: options.dpop,
    introspection: resolveIntrospection(options.introspection, option, options.issuer, keys),
  })
}

/** The configured scopes claim, else the profile's, else `scope` then `scopes`. */
function scopesPathsOf(
  scopesClaim: IssuerOptions['scopesClaim'],
  profilePaths: readonly CompiledPath[] | undefined,
): readonly CompiledPath[] {
  if (scopesClaim !== undefined) return [compilePath(scopesClaim)]
  return profilePaths ?? [compilePath('scope'), compilePath('scopes')]
}

function audienceSet(audience: IssuerOptions['audience']): ReadonlySet<string> | undefined {
  if (audience === undefined || audience === false) return undefined
  return new Set(typeof audience === 'string' ? [audience] : audience)
}

function claimsSchema(claims: IssuerOptions['claims']): StandardSchemaV1 | undefined {
  if (claims === 'clustercockpit') return clusterCockpitClaims
  if (claims === 'authotron') return authOTronClaims
  return claims === 'default' ? undefined : claims
}

function usernameOf(
  username: IssuerOptions['username'],
): (claims: Record<string, unknown>) => unknown {
  if (typeof username === 'function') return username
  const path = compilePath(username ?? 'sub')
  return (claims) => readPath(claims, path)
}

/** Presets of issuers that put no `aud` in their tokens: no audience to check, by design. */
const PRESETS_WITHOUT_AUDIENCE: ReadonlySet<unknown> = new Set(['clustercockpit', 'authotron'])

/**
 * An issuer without `audience` accepts every token its issuer mints, for any API. Said once at
 * start-up, unless `audience: false` says it on purpose or a preset's issuer puts no `aud`.
 */
export function warnAboutUncheckedAudiences(issuers: readonly IssuerOptions[]): void {
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
