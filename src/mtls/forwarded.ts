/**
 * The client certificate a TLS-terminating proxy forwards in a header: URL-encoded PEM (nginx
 * `$ssl_client_escaped_cert`), PEM with spaces for line breaks, or base64/base64url DER. Anything
 * else is malformed: never a 500, and never a certificate.
 *
 * @module
 */

/** Longest header value read: a certificate chain's leaf is 2-3 KiB URL-encoded. */
const MAX_HEADER_CHARS = 8192

const PEM = /^-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----\s*$/
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const BASE64URL = /^[A-Za-z0-9_-]+$/

/** What the header said: no certificate, a certificate's DER, or something else. */
export type ForwardedCertificate =
  { kind: 'absent' } | { kind: 'certificate'; der: Uint8Array } | { kind: 'malformed' }

/** The certificate of the header's value (Node joins repeated lines with ", ": malformed). */
export function parseForwardedCertificate(
  value: string | string[] | undefined,
): ForwardedCertificate {
  if (value === undefined || value === '') return { kind: 'absent' }
  if (typeof value !== 'string' || value.length > MAX_HEADER_CHARS) return { kind: 'malformed' }
  const text = value.includes('%') ? percentDecoded(value) : value
  if (text === undefined) return { kind: 'malformed' }
  const der = derOf(text.trim())
  // A DER certificate is a SEQUENCE (0x30); anything else was never one.
  return der !== undefined && der.length > 1 && der[0] === 0x30
    ? { kind: 'certificate', der }
    : { kind: 'malformed' }
}

function percentDecoded(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}

function derOf(text: string): Uint8Array | undefined {
  const pem = PEM.exec(text)
  if (pem !== null) {
    const body = pem[1]!.replace(/\s+/g, '')
    return BASE64.test(body) ? Buffer.from(body, 'base64') : undefined
  }
  if (BASE64.test(text)) return Buffer.from(text, 'base64')
  if (BASE64URL.test(text)) return Buffer.from(text, 'base64url')
  return undefined
}
