/**
 * The certificate thumbprint of RFC 8705 §3.1: the SHA-256 of a certificate's DER, base64url
 * without padding, the form of a certificate-bound token's `cnf["x5t#S256"]`. Here because only
 * src/jws/ and src/keys/ hash (eslint's boundaries).
 *
 * @module
 */
import { hash } from 'node:crypto'

/** `x5t#S256` of the certificate whose DER encoding is `der`. */
export function certificateThumbprint(der: Uint8Array): string {
  return hash('sha256', der, 'base64url')
}
