/**
 * Turns an issuer resolver's answer into a tenant issuer, by the same schema and resolution as an
 * entry of `issuers` (so every key source works for a tenant), plus the rules only an answer needs:
 * its `issuer` must be the token's `iss` exactly, its secret must not be a static issuer's secret
 * or public key, and it takes no `introspection`. Whatever is wrong throws an `AuthConfigError`
 * naming the option under {@link TENANT_OPTION}; the pipeline turns it into a 500, never a pass.
 *
 * @module
 */
import { AuthConfigError } from '../errors.js'
import {
  refuseSecretsEqualToPublicKeys,
  refuseSecretsSharedByIssuers,
} from '../keys/secret-checks.js'
import { warnOnce } from '../warnings.js'
import { parseIssuerOptions } from './parse.js'
import { resolveIssuer } from './resolve-issuer.js'
import { withResourceAudience } from './resolve.js'
import type { TenantSettings } from './resolve.js'
import type { ResolvedIssuer } from './resolve-issuer.js'

/** How errors name a resolver's answer (never by its `iss`: that is an unverified token value). */
export const TENANT_OPTION = 'issuerResolver.resolve()'

/** Presets whose issuers put no `aud` in their tokens (as for static issuers). */
const PRESETS_WITHOUT_AUDIENCE: ReadonlySet<unknown> = new Set(['clustercockpit', 'authotron'])

/**
 * The tenant issuer of `answer`, leased until `until` (epoch ms). Without its own `audience`, the
 * gate's `resource` is its audience (RFC 8707, as for static issuers). `staticKeys` are the keys the
 * configured issuers imported at start-up, which no tenant's secret may repeat.
 */
export function resolveTenant(
  answer: unknown,
  iss: string,
  { staticKeys, resource, dpop }: Pick<TenantSettings, 'staticKeys' | 'resource' | 'dpop'>,
  until: number,
): ResolvedIssuer {
  const options = withResourceAudience(parseIssuerOptions(answer, TENANT_OPTION), { resource })
  // Exactly: a resolver that normalises (case, trailing slash) would let one tenant's entry
  // accept tokens whose `iss` differs from it, which the issuer rule never allows.
  if (options.issuer !== iss) {
    throw new AuthConfigError(`${TENANT_OPTION}.issuer`, "is not the token's iss")
  }
  // As for a static issuer: its own DPoP mode would otherwise be silently ignored.
  if (options.dpop !== undefined && !dpop) {
    throw new AuthConfigError(`${TENANT_OPTION}.dpop`, 'needs the gate\'s "dpop" option')
  }
  // Refused rather than half-supported: an introspector holds a cache that nothing would close
  // when the tenant is dropped, and opaque tokens carry no `iss` to find a tenant by.
  if (options.introspection !== undefined) {
    throw new AuthConfigError(
      `${TENANT_OPTION}.introspection`,
      'is not supported for a tenant; configure the issuer in "issuers"',
    )
  }
  const resolved = resolveIssuer(options, TENANT_OPTION)
  const keys = [...staticKeys, ...resolved.keys.configured]
  refuseSecretsEqualToPublicKeys(keys)
  refuseSecretsSharedByIssuers(keys)
  if (options.audience === undefined && !PRESETS_WITHOUT_AUDIENCE.has(options.claims)) {
    warnOnce(
      'JWT_GATE_TENANT_AUDIENCE_UNCHECKED',
      `jwt-gate: ${TENANT_OPTION} answered an issuer without "audience": tokens that tenant ` +
        'minted for any other API are accepted too',
    )
  }
  return Object.freeze({ ...resolved, lease: { until, retired: false } })
}
