/**
 * TLS material made for the run with `openssl` (a test CA, a server certificate for 127.0.0.1,
 * client certificates), and an HTTPS client that presents a client certificate: what the tests of
 * certificate-bound tokens (RFC 8705) need. Files live in a `mktemp -d` directory.
 */
import { execFileSync } from 'node:child_process'
import { X509Certificate, createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A certificate and its key, PEM, with the paths of their files. */
export interface CertificateFiles {
  cert: string
  key: string
  certFile: string
  keyFile: string
  /** `x5t#S256`: base64url SHA-256 of the DER. */
  thumbprint: string
  /** The DER, base64. */
  derBase64: string
}

export interface TestPki {
  dir: string
  ca: CertificateFiles
  server: CertificateFiles
  /** A client certificate for each name asked (subject `CN=<name>`), signed by the CA. */
  clients: Record<string, CertificateFiles>
  /** A self-signed client certificate the CA did not sign. */
  stranger: CertificateFiles
  remove(): void
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
}

function files(dir: string, name: string): CertificateFiles {
  const cert = readFileSync(join(dir, `${name}.crt`), 'utf8')
  const der = new X509Certificate(cert).raw
  return {
    cert,
    key: readFileSync(join(dir, `${name}.key`), 'utf8'),
    certFile: join(dir, `${name}.crt`),
    keyFile: join(dir, `${name}.key`),
    thumbprint: createHash('sha256').update(der).digest('base64url'),
    derBase64: der.toString('base64'),
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']

function issue(dir: string, name: string, subject: string, extensions: string): void {
  openssl(dir, [
    'req',
    ...EC_KEY,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  ])
  writeFileSync(join(dir, `${name}.ext`), extensions)
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  ])
}

/** A CA, a server certificate (127.0.0.1, localhost) and client certificates, made now. */
export function createTestPki(clientNames: string[] = ['client-a', 'client-b']): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-pki-'))
  const selfSigned = (name: string, subject: string) =>
    openssl(dir, [
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-subj',
      subject,
    ])
  selfSigned('ca', '/CN=jwt-gate test CA')
  issue(
    dir,
    'server',
    '/CN=localhost',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  )
  for (const name of clientNames) issue(dir, name, `/CN=${name}`, 'extendedKeyUsage=clientAuth\n')
  selfSigned('stranger', '/CN=stranger')
  return {
    dir,
    ca: files(dir, 'ca'),
    server: files(dir, 'server'),
    clients: Object.fromEntries(clientNames.map((name) => [name, files(dir, name)])),
    stranger: files(dir, 'stranger'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

export interface HttpsAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/**
 * One HTTPS request trusting `ca`, presenting `client` when given. A fresh connection each time
 * (no agent), so each request's certificate is its own.
 */
export function httpsRequest(
  url: string,
  options: {
    ca: string
    client?: { cert: string; key: string } | undefined
    method?: string
    headers?: Record<string, string>
    body?: string
  },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: options.ca,
        cert: options.client?.cert,
        key: options.client?.key,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}
