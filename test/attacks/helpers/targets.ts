/**
 * The app configurations every attack runs against, one per key type, plus the user-checked
 * setup, and a signer that mints valid tokens for each.
 */
import type { AuthenticateOptions, IssuerOptions, UserRecord } from '../../../src/index.js'
import { createMemoryUserStore } from '../../../src/stores/memory.js'
import { forge } from './forge.js'
import type { SegmentInput, SigningKey } from './forge.js'
import { rawEd25519Base64 } from '../../helpers/keys.js'
import { ISSUER, NOW, NOW_S } from '../../helpers/tokens.js'
import { issuerKeys } from './keys.js'
import type { TestKeyPair } from '../../helpers/keys.js'

export const AUDIENCE = 'api://gate'
export const COOKIE = 'access_token'

export type TargetName =
  'ed25519-raw' | 'es256-pem' | 'rs256-pem' | 'hs256-secret' | 'jwks' | 'users'

/** One app configuration under attack. */
export interface Target {
  readonly name: string
  /** The options of `authenticate()` (hooks are added by the harness). */
  readonly options: () => AuthenticateOptions
  /** The algorithm valid tokens use. */
  readonly alg: string
  /** The key valid tokens are signed with. */
  readonly signingKey: SigningKey
  /** The kid valid tokens carry, if any. */
  readonly kid?: string
  /** The issuer's public key pair (undefined for HMAC). */
  readonly keys?: TestKeyPair
  /** Run on Express 4 instead of 5. */
  readonly express4?: boolean
  /** cookie-parser's secret, for signed-cookie setups. */
  readonly cookieSecret?: string
  /** How a token is written as the cookie value (signed setups sign it). @defaultValue as is */
  readonly cookieValue?: (token: string) => string
  /** Mount `authErrorHandler()` after the route (default: Express's own error handler). */
  readonly errorHandler?: { problemJson: boolean }
}

/** The users the user-checked setup knows. */
export const KNOWN_USERS: UserRecord[] = [
  { username: 'alice', roles: ['user'] },
  { username: 'bob', roles: ['user'], disabled: true },
  { username: 'jos\u00e9', roles: ['user'] },
]

function issuer(key: IssuerOptions['key']): IssuerOptions {
  return { issuer: ISSUER, key, audience: AUDIENCE }
}

function base(issuerOptions: IssuerOptions): AuthenticateOptions {
  return { issuers: [issuerOptions], cookie: { name: COOKIE }, clock: () => NOW }
}

/** The JWKS of the multi-kid setup: one key of each asymmetric type. */
export const JWKS_KIDS = { ed25519: 'ed-2026', es256: 'ec-2026', rsa: 'rsa-2026' } as const

const jwks = {
  keys: [
    { ...issuerKeys.ed25519.publicJwk, kid: JWKS_KIDS.ed25519 },
    { ...issuerKeys.es256.publicJwk, kid: JWKS_KIDS.es256, alg: 'ES256', use: 'sig' },
    { ...issuerKeys.rsa.publicJwk, kid: JWKS_KIDS.rsa, alg: 'RS256' },
  ],
}

export const TARGETS: readonly Target[] = [
  {
    name: 'ed25519-raw',
    options: () => base(issuer({ ed25519: rawEd25519Base64(issuerKeys.ed25519) })),
    alg: 'EdDSA',
    signingKey: issuerKeys.ed25519.privateKey,
    keys: issuerKeys.ed25519,
  },
  {
    name: 'es256-pem',
    options: () => base(issuer({ pem: issuerKeys.es256.publicPem })),
    alg: 'ES256',
    signingKey: issuerKeys.es256.privateKey,
    keys: issuerKeys.es256,
  },
  {
    name: 'rs256-pem',
    options: () => base(issuer({ pem: issuerKeys.rsa.publicPem })),
    alg: 'RS256',
    signingKey: issuerKeys.rsa.privateKey,
    keys: issuerKeys.rsa,
  },
  {
    name: 'hs256-secret',
    options: () => base(issuer({ secret: issuerKeys.secret, encoding: 'utf8' })),
    alg: 'HS256',
    signingKey: issuerKeys.secret,
  },
  {
    name: 'jwks',
    options: () => base(issuer({ jwks })),
    alg: 'ES256',
    signingKey: issuerKeys.es256.privateKey,
    kid: JWKS_KIDS.es256,
    keys: issuerKeys.es256,
  },
  {
    name: 'users',
    options: () => ({
      ...base(issuer({ ed25519: rawEd25519Base64(issuerKeys.ed25519) })),
      users: { store: createMemoryUserStore(KNOWN_USERS) },
    }),
    alg: 'EdDSA',
    signingKey: issuerKeys.ed25519.privateKey,
    keys: issuerKeys.ed25519,
  },
]

/** Looks a target up by name. */
export function target(name: TargetName): Target {
  const found = TARGETS.find((t) => t.name === name)
  if (found === undefined) throw new Error(`no target ${name}`)
  return found
}

/** The claims of a valid token. */
export function validClaims(): Record<string, unknown> {
  return {
    iss: ISSUER,
    sub: 'alice',
    aud: AUDIENCE,
    iat: NOW_S - 60,
    nbf: NOW_S - 60,
    exp: NOW_S + 600,
    roles: ['user'],
  }
}

/** The protected header of a valid token. */
export function validHeader(t: Target): Record<string, unknown> {
  return { alg: t.alg, typ: 'JWT', ...(t.kid === undefined ? {} : { kid: t.kid }) }
}

/** Changes to a valid token; `undefined` values delete a member. */
export interface TokenChanges {
  header?: Record<string, unknown>
  claims?: Record<string, unknown>
  /** Raw header or payload instead of the (changed) JSON objects. */
  rawHeader?: SegmentInput
  rawPayload?: SegmentInput
  /** Sign with another algorithm and/or key than the target's own. */
  alg?: string
  key?: SigningKey
  signature?: Buffer | ((signature: Buffer) => Buffer)
  encode?: (bytes: Buffer) => string
}

function merge(
  source: Record<string, unknown>,
  changes: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const result = { ...source }
  for (const [name, value] of Object.entries(changes ?? {})) {
    if (value === undefined) delete result[name]
    else result[name] = value
  }
  return result
}

/** A token for the target: valid unless the changes make it an attack. */
export function tokenFor(t: Target, changes: TokenChanges = {}): string {
  return forge({
    header: changes.rawHeader ?? merge(validHeader(t), changes.header),
    payload: changes.rawPayload ?? merge(validClaims(), changes.claims),
    sign: { alg: changes.alg ?? t.alg, key: changes.key ?? t.signingKey },
    ...(changes.signature === undefined ? {} : { signature: changes.signature }),
    ...(changes.encode === undefined ? {} : { encode: changes.encode }),
  })
}
