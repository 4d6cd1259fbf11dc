/**
 * `check-config --env`: the example app's TLS variables (`example-app/app/tls.ts`), every problem
 * at once. `TLS_CERT_FILE` and `TLS_KEY_FILE` together (HTTPS), `TLS_CLIENT_CA_FILE` only with them
 * (client certificates, for certificate-bound tokens); each file must hold what its name says.
 *
 * @module
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { readFileVariable, type Env } from './env-values.js'
import type { ProblemList } from './problems.js'

function holds(pem: string | undefined, parse: (pem: string) => unknown): boolean {
  if (pem === undefined) return true
  try {
    parse(pem)
    return true
  } catch {
    return false
  }
}

/** Checks the TLS variables; each problem names its variable. */
export async function checkTls(env: Env, cwd: string, problems: ProblemList): Promise<void> {
  const cert = await readFileVariable(env, 'TLS_CERT_FILE', cwd, problems)
  const key = await readFileVariable(env, 'TLS_KEY_FILE', cwd, problems)
  const clientCa = await readFileVariable(env, 'TLS_CLIENT_CA_FILE', cwd, problems)
  const set = (name: string) => env[name] !== undefined && env[name]?.trim() !== ''
  const certSet = set('TLS_CERT_FILE')
  const keySet = set('TLS_KEY_FILE')
  if (!certSet && !keySet && set('TLS_CLIENT_CA_FILE')) {
    problems.error('TLS_CLIENT_CA_FILE', 'needs TLS_CERT_FILE and TLS_KEY_FILE (HTTPS)')
  }
  if (certSet !== keySet) {
    const missing = certSet ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'
    problems.error(missing, `is required with ${certSet ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE'}`)
  }
  if (!holds(cert, (pem) => new X509Certificate(pem))) {
    problems.error('TLS_CERT_FILE', 'is not a PEM certificate')
  }
  if (!holds(key, (pem) => createPrivateKey(pem))) {
    problems.error('TLS_KEY_FILE', 'is not a PEM private key')
  }
  if (!holds(clientCa, (pem) => new X509Certificate(pem))) {
    problems.error('TLS_CLIENT_CA_FILE', 'is not a PEM certificate')
  }
}
