/**
 * Certificate-bound access tokens (RFC 8705 §3) end to end: a real oidc-provider over loopback TLS
 * binds a token to the certificate its client authenticated with (`tls_client_auth`), and the
 * gate, served over HTTPS asking for client certificates, accepts the token only over a connection
 * presenting that certificate, on every request (cached token or not). A trusted proxy's header is
 * honoured, an untrusted sender's is ignored, and a malformed one is a 401, never a 500.
 */
import { createPublicKey } from 'node:crypto'
import { createServer as createHttpsServer } from 'node:https'
import type { Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import request from 'supertest'
import { SignJWT, decodeJwt } from 'jose'
import type { JWK } from 'jose'
import { createTestApp } from '../helpers/app.js'
import type { TestApp } from '../helpers/app.js'
import { startOidcProvider } from '../helpers/oidc-provider.js'
import type { OidcProvider } from '../helpers/oidc-provider.js'
import { createTestPki, httpsRequest } from '../helpers/tls.js'
import type { CertificateFiles, HttpsAnswer, TestPki } from '../helpers/tls.js'
import { authenticate } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'
import { expectRejected, invalidToken } from './expect.js'

const RESOURCE = 'https://api.example.org/'
const MISMATCH = invalidToken('certificate-bound token without its client certificate')
let pki: TestPki
let op: OidcProvider
let boundToken: string
const servers: Server[] = []

beforeAll(async () => {
  pki = createTestPki(['client-a', 'client-b'])
  op = await startOidcProvider({
    resources: [RESOURCE],
    tls: {
      cert: pki.server.cert,
      key: pki.server.key,
      ca: pki.ca.cert,
      clientSubject: 'CN=client-a',
    },
  })
  const answer = await op.mtlsToken((url, body) =>
    httpsRequest(url, {
      ca: pki.ca.cert,
      client: pki.clients['client-a'],
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    }),
  )
  // The body says why, should the provider refuse.
  expect({ status: answer.status, body: answer.body }).toMatchObject({ status: 200 })
  boundToken = (JSON.parse(answer.body) as { access_token: string }).access_token
})
afterAll(async () => {
  for (const server of servers) server.close()
  await op.close()
  pki.remove()
})

function gateOptions(extra: Partial<AuthenticateOptions> = {}): AuthenticateOptions {
  const { kid, privateKey } = op.key()
  const jwk: JWK = { ...createPublicKey(privateKey).export({ format: 'jwk' }), kid, alg: 'ES256' }
  return {
    issuers: [{ issuer: op.issuer, key: { jwk }, audience: RESOURCE, profile: 'rfc9068' }],
    ...extra,
  }
}

/** The app over HTTPS, asking for (not requiring) client certificates validated against the CA. */
async function serveTls(app: TestApp): Promise<string> {
  const options = { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert }
  const server = createHttpsServer(
    { ...options, requestCert: true, rejectUnauthorized: false },
    app.app,
  )
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/protected`
}

function call(url: string, token: string, client?: CertificateFiles): Promise<HttpsAnswer> {
  return httpsRequest(url, {
    ca: pki.ca.cert,
    client,
    headers: { authorization: `Bearer ${token}` },
  })
}

function expectMismatch(answer: HttpsAnswer, app: TestApp, runsBefore: number): void {
  expect(answer.status).toBe(401)
  expect(JSON.parse(answer.body).code).toBe('ERR_AUTH_CERTIFICATE_MISMATCH')
  expect(answer.headers['www-authenticate']).toBe(MISMATCH)
  expect(app.ran()).toBe(runsBefore)
}

describe('a token bound by oidc-provider to its client certificate', () => {
  it('carries the thumbprint of the certificate the client authenticated with', () => {
    const cnf = decodeJwt(boundToken).cnf as Record<string, unknown>
    expect(cnf['x5t#S256']).toBe(pki.clients['client-a']!.thumbprint)
  })

  it('passes over that certificate, says how it is bound, on every request (cache hits too)', async () => {
    const app = createTestApp(gateOptions(), { errorHandler: true })
    const url = await serveTls(app)
    for (let i = 1; i <= 3; i++) {
      const answer = await call(url, boundToken, pki.clients['client-a'])
      expect(answer.status).toBe(200)
      expect(JSON.parse(answer.body).auth.binding).toEqual({
        method: 'mtls',
        x5t: pki.clients['client-a']!.thumbprint,
      })
      expect(app.ran()).toBe(i)
    }
    // The token is cached by now: another connection's certificate is still checked.
    expectMismatch(await call(url, boundToken, pki.clients['client-b']), app, 3)
  })

  it('is refused with another certificate of the same CA, a self-signed one, or none', async () => {
    const app = createTestApp(gateOptions(), { errorHandler: true })
    const url = await serveTls(app)
    expectMismatch(await call(url, boundToken, pki.clients['client-b']), app, 0)
    expectMismatch(await call(url, boundToken, pki.stranger), app, 0)
    expectMismatch(await call(url, boundToken), app, 0)
  })

  it('is refused as a plain bearer token over http', async () => {
    const app = createTestApp(gateOptions(), { errorHandler: true })
    const res = await request(app.app).get('/protected').auth(boundToken, { type: 'bearer' })
    expectRejected(res, app, 401, 'ERR_AUTH_CERTIFICATE_MISMATCH', MISMATCH)
  })

  it('leaves tokens without cnf alone: they pass without a certificate, unbound', async () => {
    const app = createTestApp(gateOptions(), { errorHandler: true })
    const claims = { ...decodeJwt(boundToken), cnf: undefined }
    const unbound = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: op.key().kid, typ: 'at+jwt' })
      .sign(op.key().privateKey)
    const res = await request(app.app).get('/protected').auth(unbound, { type: 'bearer' })
    expect(res.status).toBe(200)
    expect(res.body.auth.binding).toBeUndefined()
  })
})

describe('a certificate forwarded by a proxy', () => {
  const HEADER = 'X-Client-Cert'
  const escapedPem = (files: CertificateFiles) => encodeURIComponent(files.cert)
  const viaProxy = (trustedProxies: string[]) =>
    createTestApp(gateOptions({ mtls: { proxyHeader: HEADER, trustedProxies } }), {
      errorHandler: true,
    })
  const send = (app: TestApp, header?: string) => {
    const req = request(app.app).get('/protected').auth(boundToken, { type: 'bearer' })
    return header === undefined ? req : req.set(HEADER, header)
  }

  it('is honoured from a trusted address: URL-encoded PEM, base64 DER, PEM with spaces', async () => {
    const app = viaProxy(['127.0.0.0/8', '::1'])
    const a = pki.clients['client-a']!
    for (const value of [escapedPem(a), a.derBase64, a.cert.replace(/\n/g, ' ')]) {
      const res = await send(app, value)
      expect(res.status).toBe(200)
      expect(res.body.auth.binding).toEqual({ method: 'mtls', x5t: a.thumbprint })
    }
  })

  it("is refused when it is another client's certificate", async () => {
    const app = viaProxy(['127.0.0.1', '::1'])
    const res = await send(app, escapedPem(pki.clients['client-b']!))
    expectRejected(res, app, 401, 'ERR_AUTH_CERTIFICATE_MISMATCH', MISMATCH)
  })

  it('is ignored without the mtls option, even from loopback (401)', async () => {
    const app = createTestApp(gateOptions(), { errorHandler: true })
    const res = await send(app, escapedPem(pki.clients['client-a']!))
    expectRejected(res, app, 401, 'ERR_AUTH_CERTIFICATE_MISMATCH', MISMATCH)
  })

  it('is ignored from an untrusted address (401)', async () => {
    const app = viaProxy(['10.0.0.0/8'])
    const res = await send(app, escapedPem(pki.clients['client-a']!))
    expectRejected(res, app, 401, 'ERR_AUTH_CERTIFICATE_MISMATCH', MISMATCH)
  })

  it('is never mistaken for the certificate of the TLS connection from the proxy', async () => {
    const app = viaProxy(['127.0.0.1', '::1'])
    const url = await serveTls(app)
    expectMismatch(await call(url, boundToken, pki.clients['client-a']), app, 0)
  })

  it.each([
    ['garbage', 'not a certificate'],
    ['bad percent-encoding', '%E0%A4%A'],
    ['a PEM with a broken body', '-----BEGIN CERTIFICATE----- *** -----END CERTIFICATE-----'],
    ['base64 that is no DER', Buffer.from('hello world').toString('base64')],
    ['a huge value', 'A'.repeat(10_000)],
    ['two certificates joined', () => `${pki.clients['client-a']!.derBase64}, x`],
  ])('a malformed header (%s) is a 401, never a 500', async (_name, value) => {
    const app = viaProxy(['127.0.0.1', '::1'])
    const res = await send(app, typeof value === 'function' ? value() : value)
    expectRejected(res, app, 401, 'ERR_AUTH_CERTIFICATE_MISMATCH', MISMATCH)
  })
})

describe('the mtls option', () => {
  const refuse = (mtls: AuthenticateOptions['mtls'], option: string) =>
    expect(() => authenticate(gateOptions({ mtls }))).toThrow(
      expect.objectContaining({ name: 'AuthConfigError', option }),
    )

  it('refuses bad header names and addresses at start-up, naming the option', () => {
    refuse({ proxyHeader: 'x client cert', trustedProxies: ['10.0.0.1'] }, 'mtls.proxyHeader')
    refuse(
      { proxyHeader: 'x-client-cert', trustedProxies: ['10.0.0.0/33'] },
      'mtls.trustedProxies[0]',
    )
    refuse(
      { proxyHeader: 'x-client-cert', trustedProxies: ['proxy.internal'] },
      'mtls.trustedProxies[0]',
    )
    refuse({ proxyHeader: 'x-client-cert' }, 'mtls.trustedProxies')
    refuse({ trustedProxies: ['10.0.0.1'] }, 'mtls.proxyHeader')
    refuse({ proxyHeader: 'x-client-cert', trustedProxies: [] }, 'mtls.trustedProxies')
  })

  it('advertises tls_client_certificate_bound_access_tokens in the metadata (RFC 9728)', async () => {
    const path = '/.well-known/oauth-protected-resource'
    const withMtls = createTestApp(gateOptions({ resource: RESOURCE, mtls: {} }))
    const without = createTestApp(gateOptions({ resource: RESOURCE }))
    const on = await request(withMtls.app).get(path)
    expect(on.body.tls_client_certificate_bound_access_tokens).toBe(true)
    const off = await request(without.app).get(path)
    expect(off.status).toBe(200)
    expect(off.body).not.toHaveProperty('tls_client_certificate_bound_access_tokens')
  })
})
