/**
 * A real OpenID Provider (`oidc-provider`, a certified implementation) on loopback, for tests that
 * need an issuer jwt-gate did not write: discovery documents, a JWKS endpoint, and RFC 9068 JWT
 * access tokens from the client-credentials grant with resource indicators (RFC 8707).
 *
 * The provider object is rebuilt behind the same listening socket to rotate its keys, so the issuer
 * URL stays the same; `down()` makes every request fail at the socket until `up()`.
 */
import { generateKeyPairSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWK } from 'jose'
import Provider from 'oidc-provider'

/** The one confidential client the provider knows. */
export const CLIENT_ID = 'jwt-gate-tests'
export const CLIENT_SECRET = 'a-client-secret-long-enough-for-the-provider-0123456789'

/** A signing key of the provider, with its private part (tests may sign look-alike tokens). */
export interface ProviderKey {
  kid: string
  privateKey: KeyObject
  /** The private JWK as the provider holds it. */
  jwk: JWK
}

export interface OidcProviderOptions {
  /** Resource indicators the provider will mint tokens for (the first is the default). */
  resources: string[]
  /** Scopes the provider knows; every resource may be granted any of them. */
  scopes?: string[]
  /** A `Cache-Control` header added to the JWKS answer (the provider sends none of its own). */
  jwksCacheControl?: string
  /** Access-token lifetime, in seconds. @defaultValue 300 */
  accessTokenTtl?: number
  /**
   * The provider's DPoP feature (`dPoP`): a token request with a proof gets a `cnf.jkt` token.
   * @defaultValue the provider's default (on)
   */
  dpop?: boolean
}

export interface OidcProvider {
  /** The issuer identifier, `http://127.0.0.1:<port>` (loopback, so `http:` is allowed). */
  issuer: string
  /** How many times each path was requested (`/.well-known/openid-configuration`, `/jwks`...). */
  hits: Map<string, number>
  /** The current signing key. */
  key(): ProviderKey
  /** A JWT access token from the client-credentials grant for `resource` with `scope`. */
  token(options?: { resource?: string; scope?: string }): Promise<string>
  /** Replaces the signing key with a new one (new `kid`); the old one leaves the JWKS. */
  rotate(): ProviderKey
  /** Every request from now on is answered by destroying its socket. */
  down(): void
  /** Serves again after `down()`. */
  up(): void
  close(): Promise<void>
}

let keyCount = 0
function newKey(): ProviderKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const kid = `op-key-${++keyCount}`
  return {
    kid,
    privateKey,
    jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
  }
}

function buildProvider(issuer: string, key: ProviderKey, options: OidcProviderOptions): Provider {
  const scopes = options.scopes ?? ['reports:read', 'admin']
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [key.jwk] },
    scopes,
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      // On by default in oidc-provider 9; the option makes a test's reliance on it explicit.
      ...(options.dpop === undefined ? {} : { dPoP: { enabled: options.dpop } }),
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.resources[0]!,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (!options.resources.includes(resource)) throw new Error(`unknown resource ${resource}`)
          return {
            scope: scopes.join(' '),
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: options.accessTokenTtl ?? 300,
            jwt: { sign: { alg: 'ES256' } },
          }
        },
      },
    },
    ttl: { ClientCredentials: () => options.accessTokenTtl ?? 300 },
  })
  return provider
}

/** Starts the provider on an ephemeral loopback port. */
export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcProvider> {
  const hits = new Map<string, number>()
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined
  let isDown = false
  const server: Server = createServer((req, res) => {
    if (isDown) return void req.socket.destroy()
    const path = new URL(req.url ?? '/', 'http://x').pathname
    hits.set(path, (hits.get(path) ?? 0) + 1)
    if (path === '/jwks' && options.jwksCacheControl !== undefined) {
      res.setHeader('Cache-Control', options.jwksCacheControl)
    }
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  let current = newKey()
  const install = (): void => {
    const callback = buildProvider(issuer, current, options).callback()
    handler = (req, res) => void callback(req, res)
  }
  install()
  return {
    issuer,
    hits,
    key: () => current,
    async token({ resource = options.resources[0]!, scope = 'reports:read' } = {}) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }),
      })
      const body = (await response.json()) as { access_token?: string; error?: string }
      if (body.access_token === undefined) {
        throw new Error(`the provider refused a token: ${response.status} ${body.error}`)
      }
      return body.access_token
    },
    rotate() {
      current = newKey()
      install()
      return current
    },
    down: () => void (isDown = true),
    up: () => void (isDown = false),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
