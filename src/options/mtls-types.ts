/**
 * The option type of certificate-bound access tokens (RFC 8705 §3), part of the option reference
 * in `types.ts`, which re-exports it (docs/mtls.md).
 *
 * @module
 */

/**
 * Where the client certificate of a request is read, for tokens bound to one. A token whose
 * `cnf["x5t#S256"]` names a certificate is checked whether or not this option is set: it passes
 * only over a connection that presented that certificate. The option adds the trusted proxies
 * and `tls_client_certificate_bound_access_tokens` in the protected-resource metadata.
 */
export interface MtlsOptions {
  /**
   * The request header in which a TLS-terminating proxy forwards the client certificate: the
   * URL-encoded PEM (nginx `$ssl_client_escaped_cert`, AWS ALB `X-Amzn-Mtls-Clientcert`), a PEM
   * whose line breaks are spaces, or the base64 (or base64url) of the DER. Read only on
   * connections from `trustedProxies`; case-insensitive. @defaultValue none (no proxy)
   */
  proxyHeader?: string | undefined
  /**
   * Addresses (`10.0.0.5`, `::1`) and CIDR ranges (`10.0.0.0/8`) of the proxies that set
   * `proxyHeader`, compared with the connection's remote address. A request from one of them is
   * bound by the header's certificate only (the proxy's own TLS certificate is not the client's);
   * from any other address the header is ignored. Required with `proxyHeader`.
   * @defaultValue none (no proxy is trusted)
   */
  trustedProxies?: string[] | undefined
}
