/**
 * The Protected Resource Metadata document of RFC 9728 §2, built from the gate's own
 * configuration: nothing in it is written twice by the user. Framework-free.
 *
 * @module
 */
import type { ProtectedResource } from './resource.js'

/** What the document is built from, resolved once at start-up (`options/resolve.ts`). */
export interface MetadataSettings extends ProtectedResource {
  /** The configured issuers' `iss` values that are URLs (RFC 9728 `authorization_servers`). */
  readonly authorizationServers: readonly string[]
  /** Whether the `Authorization` header is a token source (`bearer_methods_supported`). */
  readonly headerSource: boolean
  /** Scopes listed besides those of the scope guards (`resourceMetadata.scopes`). */
  readonly extraScopes: readonly string[]
  /** `resource_name`, when configured. */
  readonly name: string | undefined
  /** `resource_documentation`, when configured. */
  readonly documentation: string | undefined
  /**
   * The sender-constraint members (RFC 9449 `dpop_signing_alg_values_supported`,
   * `dpop_bound_access_tokens_required`; RFC 8705 `tls_client_certificate_bound_access_tokens`),
   * filled in by the options that enable them. Empty until jwt-gate verifies bound tokens.
   */
  readonly senderConstraints: Readonly<Record<string, unknown>>
}

/** The RFC 9728 document: a plain JSON object, members in the RFC's order. */
export function metadataDocument(
  settings: MetadataSettings,
  guardScopes: ReadonlySet<string>,
): Record<string, unknown> {
  const scopes = [...new Set([...guardScopes, ...settings.extraScopes])].sort()
  return {
    resource: settings.resource,
    authorization_servers: [...settings.authorizationServers],
    ...(scopes.length === 0 ? {} : { scopes_supported: scopes }),
    // RFC 9728 registers header, body and query; a cookie is not a bearer method a client can
    // choose, so it is never listed. An empty array says no method is supported (a cookie-only gate).
    bearer_methods_supported: settings.headerSource ? ['header'] : [],
    ...(settings.name === undefined ? {} : { resource_name: settings.name }),
    ...(settings.documentation === undefined
      ? {}
      : { resource_documentation: settings.documentation }),
    ...settings.senderConstraints,
  }
}

/** The `iss` values a client can discover an authorization server from: http(s) URLs only. */
export function authorizationServersOf(issuers: readonly (string | null)[]): string[] {
  return issuers.filter(
    (issuer): issuer is string =>
      issuer !== null && URL.canParse(issuer) && /^https?:$/.test(new URL(issuer).protocol),
  )
}
