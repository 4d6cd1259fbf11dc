/**
 * Key material of the attack suite, generated once per test file: the issuer's keys (the ones the
 * apps trust) and an attacker's keys of every type (never trusted anywhere).
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { JWK } from 'jose'

/** A generated key pair with the public half in the formats an attacker could find published. */
export interface KeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
  /** SPKI PEM text. */
  pem: string
  /** SPKI DER bytes. */
  der: Buffer
  /** Public JWK (no kid). */
  jwk: JWK
}

function pair(type: 'ed25519' | 'ec' | 'rsa'): KeyPair {
  const options =
    type === 'ec' ? { namedCurve: 'P-256' } : type === 'rsa' ? { modulusLength: 2048 } : {}
  const { privateKey, publicKey } = (
    generateKeyPairSync as (
      type: string,
      options: object,
    ) => { privateKey: KeyObject; publicKey: KeyObject }
  )(type, options)
  return {
    privateKey,
    publicKey,
    pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    der: publicKey.export({ type: 'spki', format: 'der' }),
    jwk: publicKey.export({ format: 'jwk' }),
  }
}

/** The trusted issuer's keys. */
export const issuerKeys = {
  ed25519: pair('ed25519'),
  es256: pair('ec'),
  rsa: pair('rsa'),
  /** A 40-byte UTF-8 HMAC secret (Auth-O-Tron style `{ secret, encoding: 'utf8' }`). */
  secret: 'trusted-hmac-secret-for-the-attack-suite!',
}

/** The attacker's keys: same types, never configured anywhere. */
export const attackerKeys = {
  ed25519: pair('ed25519'),
  es256: pair('ec'),
  rsa: pair('rsa'),
  secret: randomBytes(32),
}

/** Standard base64 of the raw 32-byte Ed25519 public key (ClusterCockpit's `JWT_PUBLIC_KEY`). */
export function rawEd25519(keys: KeyPair): string {
  return Buffer.from(keys.jwk.x!, 'base64url').toString('base64')
}

/** The raw public key bytes: Ed25519 `x`, the uncompressed EC point, or the RSA modulus. */
export function rawPublicBytes(keys: KeyPair): Buffer {
  const { jwk } = keys
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
