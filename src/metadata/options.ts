/**
 * The option type of the metadata document's optional members, beside the other metadata files
 * (`options/types.ts` refers to it for `AuthenticateOptions.resourceMetadata`).
 *
 * @module
 */

/** Optional members of the protected-resource metadata (RFC 9728 §2). */
export interface ResourceMetadataOptions {
  /**
   * Scopes listed in `scopes_supported` besides those the app's `requireScopes()` and
   * `requireAnyScope()` guards require (which are listed on their own).
   */
  scopes?: string[] | undefined
  /** `resource_name`: a name for people (an MCP client may show it when asking for consent). */
  name?: string | undefined
  /** `resource_documentation`: a URL of the API's documentation for developers. */
  documentation?: string | undefined
}
