/**
 * Shared fixtures of the example-app tests: temporary data folders, a key pair, an AuthAPI with
 * two users, and the app configured to trust it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AuthApiConfig } from '../../example-app/auth-api/config.js'
import {
  openAuthApi,
  type OpenAuthApi,
  type OpenAuthApiOverrides,
} from '../../example-app/auth-api/open.js'
import type { ScryptCost } from '../../example-app/auth-api/password.js'
import { generateEd25519KeyPair, rawPublicKeyBase64 } from '../../example-app/shared/ed25519.js'

/** A cheap scrypt cost so that seeding users does not dominate the test time. */
export const TEST_COST: ScryptCost = { N: 1024, r: 8, p: 1 }
export const ISSUER = 'https://auth.example.test'
export const APP_ORIGIN = 'http://app.example.test'
export const PASSWORDS = {
  alice: 'alice-password-1',
  admin: 'admin-password-1',
  carol: 'carol-password-1',
}

/** A temporary folder, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-example-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A fresh Ed25519 pair with its `JWT_PUBLIC_KEY` form. */
export function keyPair() {
  const pair = generateEd25519KeyPair()
  return { ...pair, publicKeyBase64: rawPublicKeyBase64(pair.publicKey) }
}

/** An AuthAPI configuration over `dir`, with the given overrides. */
export function authApiConfig(dir: string, overrides: Partial<AuthApiConfig> = {}): AuthApiConfig {
  const { privateKey, publicKey } = keyPair()
  return {
    port: 0,
    host: '127.0.0.1',
    issuer: ISSUER,
    audience: undefined,
    ttlSeconds: 900,
    usersDb: join(dir, 'auth-users.sqlite'),
    privateKey,
    publicKey,
    cookie: { name: 'access_cc', domain: undefined, secure: 'auto' },
    trustProxy: false,
    appOrigins: [APP_ORIGIN],
    defaultRedirect: `${APP_ORIGIN}/me`,
    ...overrides,
  }
}

/** Opens an AuthAPI with alice (user), admin (admin, user) and carol (disabled). */
export async function openSeededAuthApi(
  config: AuthApiConfig,
  overrides: OpenAuthApiOverrides = {},
): Promise<OpenAuthApi> {
  const api = await openAuthApi(config, overrides)
  await api.users.putUser(
    { username: 'alice', password: PASSWORDS.alice, roles: ['user'], name: 'Alice Example' },
    TEST_COST,
  )
  await api.users.putUser(
    { username: 'admin', password: PASSWORDS.admin, roles: ['admin', 'user'] },
    TEST_COST,
  )
  await api.users.putUser(
    { username: 'carol', password: PASSWORDS.carol, roles: ['user'], disabled: true },
    TEST_COST,
  )
  return api
}

/** The `name=value` part of the named cookie in a response's Set-Cookie headers. */
export function setCookie(headers: Record<string, unknown>, name: string): string | undefined {
  const raw = headers['set-cookie']
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : []
  return list.find((line) => line.startsWith(`${name}=`))
}
