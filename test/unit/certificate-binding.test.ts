/**
 * The certificate binding (RFC 8705 §3) through the framework-free authenticator: the members a
 * server other than Node's passes (`clientCertificate`, `remoteAddress`), IPv4-mapped addresses
 * against the trusted proxies, and `cnf` values that are not a thumbprint. The TLS sockets, the
 * proxy header formats and the real provider are in test/http/mtls.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'
import type { AuthRequest } from '../../src/pipeline/authenticator.js'
import { ed25519 } from '../helpers/keys.js'
import { ISSUER, clock, sign } from '../helpers/tokens.js'

/** Bytes standing for a certificate's DER (a SEQUENCE, as the proxy header parser requires). */
const derA = Buffer.concat([Buffer.from([0x30]), randomBytes(300)])
const derB = Buffer.concat([Buffer.from([0x30]), randomBytes(300)])
const thumbprint = (der: Uint8Array) => createHash('sha256').update(der).digest('base64url')

function gate(extra: Partial<AuthenticateOptions> = {}) {
  return createAuthenticator({
    issuers: [{ issuer: ISSUER, key: { pem: ed25519.publicPem }, audience: false }],
    clock,
    ...extra,
  })
}
const boundTo = (der: Uint8Array) =>
  sign(ed25519.privateKey, { claims: { cnf: { 'x5t#S256': thumbprint(der) } } })
const request = (token: string, more: Partial<AuthRequest> = {}): AuthRequest => ({
  ...more,
  headers: { authorization: `Bearer ${token}`, ...more.headers },
})
const MISMATCH = { status: 401, code: 'ERR_AUTH_CERTIFICATE_MISMATCH' }

describe('the certificate binding without Node sockets', () => {
  it('takes the certificate a server passes, on every request, cached token or not', async () => {
    const auth = gate()
    const token = await boundTo(derA)
    for (let i = 0; i < 3; i++) {
      const context = await auth.authenticate(request(token, { clientCertificate: { der: derA } }))
      expect(context?.binding).toEqual({ method: 'mtls', x5t: thumbprint(derA) })
    }
    expect(auth.cacheSize).toBe(1)
    await expect(
      auth.authenticate(request(token, { clientCertificate: { der: derB } })),
    ).rejects.toMatchObject(MISMATCH)
    await expect(auth.authenticate(request(token))).rejects.toMatchObject(MISMATCH)
  })

  it('matches IPv4-mapped IPv6 addresses against IPv4 trusted proxies', async () => {
    const auth = gate({ mtls: { proxyHeader: 'X-Client-Cert', trustedProxies: ['192.0.2.0/24'] } })
    const token = await boundTo(derA)
    const headers = { 'x-client-cert': derA.toString('base64') }
    const from = (remoteAddress: string) =>
      auth.authenticate(request(token, { headers, remoteAddress }))
    await expect(from('::ffff:192.0.2.7')).resolves.toMatchObject({ binding: { method: 'mtls' } })
    await expect(from('192.0.2.7')).resolves.toMatchObject({ binding: { method: 'mtls' } })
    await expect(from('::ffff:198.51.100.7')).rejects.toMatchObject(MISMATCH)
    await expect(from('not an address')).rejects.toMatchObject(MISMATCH)
  })

  it('refuses a cnf whose x5t#S256 is no thumbprint, and leaves other cnf members alone', async () => {
    const auth = gate()
    for (const value of [42, '', null, ['a'], { a: 1 }]) {
      const token = await sign(ed25519.privateKey, { claims: { cnf: { 'x5t#S256': value } } })
      await expect(
        auth.authenticate(request(token, { clientCertificate: { der: derA } })),
      ).rejects.toMatchObject(MISMATCH)
    }
    const other = await sign(ed25519.privateKey, { claims: { cnf: { kid: 'k1' } } })
    await expect(auth.authenticate(request(other))).resolves.toMatchObject({ binding: undefined })
  })
})
