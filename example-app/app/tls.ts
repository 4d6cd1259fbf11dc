/**
 * HTTPS for the protected app: `TLS_CERT_FILE` and `TLS_KEY_FILE` (PEM) serve HTTPS;
 * `TLS_CLIENT_CA_FILE` also asks clients for a certificate, so tokens bound to one (RFC 8705) work.
 *
 * @module
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { ConfigError, type Env } from '../shared/env.js'
import type { TlsFiles } from '../shared/serve.js'
import { readFileVariable, type ReadFile } from './key-source.js'

/** Throws a ConfigError naming `name` unless `check` accepts the PEM text. */
function checkPem(name: string, what: string, pem: string, check: (pem: string) => unknown): void {
  try {
    check(pem)
  } catch {
    throw new ConfigError(name, `is not a PEM ${what}`)
  }
}

/** The TLS files of the environment, checked; undefined when the app serves plain HTTP. */
export function readTls(env: Env, readFile: ReadFile): TlsFiles | undefined {
  const cert = readFileVariable(env, 'TLS_CERT_FILE', readFile)
  const key = readFileVariable(env, 'TLS_KEY_FILE', readFile)
  const clientCa = readFileVariable(env, 'TLS_CLIENT_CA_FILE', readFile)
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) {
      throw new ConfigError('TLS_CLIENT_CA_FILE', 'needs TLS_CERT_FILE and TLS_KEY_FILE (HTTPS)')
    }
    return undefined
  }
  if (cert === undefined) throw new ConfigError('TLS_CERT_FILE', 'is required with TLS_KEY_FILE')
  if (key === undefined) throw new ConfigError('TLS_KEY_FILE', 'is required with TLS_CERT_FILE')
  checkPem('TLS_CERT_FILE', 'certificate', cert, (pem) => new X509Certificate(pem))
  checkPem('TLS_KEY_FILE', 'private key', key, (pem) => createPrivateKey(pem))
  if (clientCa !== undefined) {
    checkPem('TLS_CLIENT_CA_FILE', 'certificate', clientCa, (pem) => new X509Certificate(pem))
  }
  return { cert, key, clientCa }
}
