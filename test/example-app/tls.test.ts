/**
 * The example app's TLS variables (issue 24): TLS_CERT_FILE and TLS_KEY_FILE serve HTTPS,
 * TLS_CLIENT_CA_FILE asks for client certificates, and a token bound to one (RFC 8705) then passes
 * only over a connection presenting it. Certificates are made for the run with openssl.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExampleApp } from '../../example-app/app/app.js'
import { parseAppConfig } from '../../example-app/app/config.js'
import { openApp } from '../../example-app/app/open.js'
import { rawPublicKeyBase64 } from '../../example-app/shared/ed25519.js'
import { ConfigError, type Env } from '../../example-app/shared/env.js'
import { createAppServer } from '../../example-app/shared/serve.js'
import { createTestPki, httpsRequest } from '../helpers/tls.js'
import type { CertificateFiles, TestPki } from '../helpers/tls.js'
import { ISSUER, keyPair } from './helpers.js'

const signer = keyPair()
let pki: TestPki
const opened: ExampleApp[] = []
const servers: Server[] = []

beforeAll(() => {
  pki = createTestPki(['client-a', 'client-b'])
})
afterAll(async () => {
  for (const server of servers) server.close()
  await Promise.all(opened.map((app) => app.close()))
  pki.remove()
})

const base = (): Env => ({
  JWT_ISSUER: ISSUER,
  JWT_PUBLIC_KEY: rawPublicKeyBase64(signer.publicKey),
})
const tlsEnv = (): Env => ({
  TLS_CERT_FILE: pki.server.certFile,
  TLS_KEY_FILE: pki.server.keyFile,
  TLS_CLIENT_CA_FILE: pki.ca.certFile,
})

async function serve(env: Env): Promise<string> {
  const config = parseAppConfig({ ...base(), ...env })
  const example = await openApp(config)
  opened.push(example)
  const server = createAppServer(example.app, config.tls)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function token(cnf?: Record<string, string>): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT(cnf === undefined ? {} : { cnf })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject('alice')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(signer.privateKey)
}

const me = (origin: string, bearer: string, client?: CertificateFiles) =>
  httpsRequest(`${origin}/api/me`, {
    ca: pki.ca.cert,
    client,
    headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' },
  })

describe('the example app over HTTPS with client certificates', () => {
  it('accepts a certificate-bound token over its certificate only', async () => {
    const origin = await serve(tlsEnv())
    const bound = await token({ 'x5t#S256': pki.clients['client-a']!.thumbprint })
    expect((await me(origin, bound, pki.clients['client-a'])).status).toBe(200)
    const other = await me(origin, bound, pki.clients['client-b'])
    expect(other.status).toBe(401)
    expect(JSON.parse(other.body).code).toBe('ERR_AUTH_CERTIFICATE_MISMATCH')
    expect((await me(origin, bound)).status).toBe(401)
    // A bearer token still works without a certificate.
    expect((await me(origin, await token())).status).toBe(200)
  })

  it('serves HTTPS without asking for certificates when TLS_CLIENT_CA_FILE is unset', async () => {
    const { TLS_CLIENT_CA_FILE: _, ...env } = tlsEnv()
    const origin = await serve(env)
    const bound = await token({ 'x5t#S256': pki.clients['client-a']!.thumbprint })
    // The server asks for no certificate, so the client sends none: the bound token is refused.
    expect((await me(origin, bound, pki.clients['client-a'])).status).toBe(401)
    expect((await me(origin, await token())).status).toBe(200)
  })
})

describe('the TLS variables', () => {
  const variableOf = (env: Env): string => {
    try {
      parseAppConfig({ ...base(), ...env })
    } catch (err) {
      if (err instanceof ConfigError) return err.variable
      throw err
    }
    return 'none'
  }

  it('are refused at start, naming the variable', () => {
    const { TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE } = tlsEnv()
    expect(variableOf({ TLS_CERT_FILE })).toBe('TLS_KEY_FILE')
    expect(variableOf({ TLS_KEY_FILE })).toBe('TLS_CERT_FILE')
    expect(variableOf({ TLS_CLIENT_CA_FILE })).toBe('TLS_CLIENT_CA_FILE')
    expect(variableOf({ TLS_CERT_FILE: TLS_KEY_FILE, TLS_KEY_FILE })).toBe('TLS_CERT_FILE')
    expect(variableOf({ TLS_CERT_FILE, TLS_KEY_FILE: TLS_CERT_FILE })).toBe('TLS_KEY_FILE')
    expect(variableOf({ TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE: TLS_KEY_FILE })).toBe(
      'TLS_CLIENT_CA_FILE',
    )
    expect(variableOf({ TLS_CERT_FILE, TLS_KEY_FILE: `${pki.dir}/missing.key` })).toBe(
      'TLS_KEY_FILE',
    )
    expect(variableOf(tlsEnv())).toBe('none')
  })

  it('advertise certificate-bound tokens in the metadata when clients are asked for one', () => {
    const withCa = parseAppConfig({ ...base(), ...tlsEnv() })
    expect(withCa.authenticate.mtls).toEqual({})
    const { TLS_CLIENT_CA_FILE: _, ...env } = tlsEnv()
    expect(parseAppConfig({ ...base(), ...env }).authenticate.mtls).toBeUndefined()
  })
})
