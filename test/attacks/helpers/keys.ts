/**
 * Key material of the attack suite, generated once per test file: the issuer's keys (the ones the
 * apps trust) and an attacker's keys of every type (never trusted anywhere), made by the tests'
 * one key generator.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keyPair } from '../../helpers/keys.js'
import type { TestKeyPair } from '../../helpers/keys.js'

/** The trusted issuer's keys. */
export const issuerKeys = {
  ed25519: keyPair('ed25519'),
  es256: keyPair('ec'),
  rsa: keyPair('rsa'),
  /** A 40-byte UTF-8 HMAC secret (Auth-O-Tron style `{ secret, encoding: 'utf8' }`). */
  secret: 'trusted-hmac-secret-for-the-attack-suite!',
}

/** The attacker's keys: same types, never configured anywhere. */
export const attackerKeys = {
  ed25519: keyPair('ed25519'),
  es256: keyPair('ec'),
  rsa: keyPair('rsa'),
  secret: randomBytes(32),
}

/** The raw public key bytes: Ed25519 `x`, the uncompressed EC point, or the RSA modulus. */
export function rawPublicBytes(keys: TestKeyPair): Buffer {
  const jwk = keys.publicJwk
  if (jwk.kty === 'OKP') return Buffer.from(jwk.x!, 'base64url')
  if (jwk.kty === 'EC') {
    return Buffer.concat([
      Buffer.from([4]),
      Buffer.from(jwk.x!, 'base64url'),
      Buffer.from(jwk.y!, 'base64url'),
    ])
  }
  return Buffer.from(jwk.n!, 'base64url')
}

/**
 * A self-signed X.509 certificate of the attacker's RSA key, base64 DER as `x5c` carries it, made
 * with the openssl CLI; undefined where openssl is not installed (the x5c rows then use bytes that
 * merely look like a certificate, which tests the same promise: x5c is never read).
 */
export function attackerCertificate(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-x5c-'))
  try {
    const keyFile = join(dir, 'key.pem')
    writeFileSync(
      keyFile,
      attackerKeys.rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    )
    const certFile = join(dir, 'cert.der')
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-new',
        '-key',
        keyFile,
        '-subj',
        '/CN=auth.example.org',
        '-days',
        '1',
        '-outform',
        'DER',
        '-out',
        certFile,
      ],
      { stdio: 'ignore', timeout: 10_000 },
    )
    return readFileSync(certFile).toString('base64')
  } catch {
    return undefined
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
