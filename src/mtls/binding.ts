/**
 * The certificate-binding step (RFC 8705 §3): a token whose `cnf["x5t#S256"]` names a certificate
 * passes only when the request's client certificate has that thumbprint. Runs on every request,
 * cached token or not, since the token is the same on another connection and the certificate is
 * not. Tokens without `x5t#S256` are not this step's business.
 *
 * @module
 */
import { InvalidTokenError } from '../errors.js'
import { certificateThumbprint } from '../jws/certificate-thumbprint.js'
import { connectionAddress, connectionCertificate } from './connection.js'
import type { ClientConnection } from './connection.js'
import { parseForwardedCertificate } from './forwarded.js'
import { isTrustedProxy } from './settings.js'
import type { MtlsSettings } from './settings.js'

/** How a token was bound, as `req.auth.binding` says it. */
export interface CertificateBinding {
  readonly method: 'mtls'
  /** The certificate's thumbprint, `cnf["x5t#S256"]`. */
  readonly x5t: string
}

/** A request's connection as the binding reads it (headers for a proxy's certificate). */
export interface BindingRequest extends ClientConnection {
  headers: Record<string, string | string[] | undefined>
}

const X5T = 'x5t#S256'

/**
 * The binding of a token whose `cnf` claim is `cnf`, or undefined for a token without
 * `x5t#S256`. Throws `ERR_AUTH_CERTIFICATE_MISMATCH` (401 `invalid_token`) when the request
 * holds no certificate of that thumbprint.
 */
export function checkCertificateBinding(
  settings: MtlsSettings | undefined,
  cnf: unknown,
  req: BindingRequest,
): CertificateBinding | undefined {
  if (typeof cnf !== 'object' || cnf === null || !Object.hasOwn(cnf, X5T)) return undefined
  const expected = (cnf as Record<string, unknown>)[X5T]
  if (typeof expected !== 'string' || expected === '') throw mismatch()
  const der = presentedCertificate(settings, req)
  if (der === undefined || certificateThumbprint(der) !== expected) throw mismatch()
  return { method: 'mtls', x5t: expected }
}

/**
 * The certificate the client presented: the proxy header's, on a connection from a trusted proxy
 * (whose own certificate is not the client's), else the connection's own.
 */
function presentedCertificate(
  settings: MtlsSettings | undefined,
  req: BindingRequest,
): Uint8Array | undefined {
  const header = settings?.proxyHeader
  if (header === undefined || !isTrustedProxy(settings!, connectionAddress(req))) {
    return connectionCertificate(req)
  }
  const forwarded = parseForwardedCertificate(req.headers[header])
  return forwarded.kind === 'certificate' ? forwarded.der : undefined
}

function mismatch(): InvalidTokenError {
  return new InvalidTokenError(
    'ERR_AUTH_CERTIFICATE_MISMATCH',
    'certificate-bound token without its client certificate',
  )
}
