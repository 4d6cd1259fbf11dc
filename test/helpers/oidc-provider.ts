/**
 * A real OpenID Provider (`oidc-provider`, a certified implementation) on loopback, for tests that
 * need an issuer jwt-gate did not write: discovery documents, a JWKS endpoint, and RFC 9068 JWT
 * access tokens from the client-credentials grant with resource indicators (RFC 8707).
 *
 * With `tls`, it serves HTTPS and asks for client certificates: a second client authenticates by
 * its certificate (`tls_client_auth`, RFC 8705 §2.1) and gets certificate-bound tokens (§3).
 *
 * The provider object is rebuilt behind the same listening socket to rotate its keys, so the issuer
 * URL stays the same; `down()` makes every request fail at the socket until `up()`.
 */
import { X509Certificate, generateKeyPairSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { TLSSocket } from 'node:tls'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWK } from 'jose'
import Provider from 'oidc-provider'
import type { ClientMetadata } from 'oidc-provider'

/** The one confidential client the provider knows. */
export const CLIENT_ID = 'jwt-gate-tests'
export const CLIENT_SECRET = 'a-client-secret-long-enough-for-the-provider-0123456789'
/** The client that authenticates by its TLS certificate (only with the `tls` option). */
export const MTLS_CLIENT_ID = 'jwt-gate-mtls-tests'
/** The client that authenticates by a signed assertion (only with `introspection.clientJwk`). */
export const PRIVATE_KEY_JWT_CLIENT_ID = 'jwt-gate-pkjwt-tests'

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
   * Serve HTTPS with this certificate and key, asking for client certificates (not requiring
   * them). The client {@link MTLS_CLIENT_ID} authenticates with a certificate whose subject is
   * `clientSubject` (chain validated against `ca`), and its tokens are bound to it.
   */
  tls?: { cert: string; key: string; ca: string; clientSubject: string }
  /**
   * The provider's DPoP feature (`dPoP`): a token request with a proof gets a `cnf.jkt` token.
   * @defaultValue the provider's default (on)
   */
  dpop?: boolean
  /** Token introspection (RFC 7662) and what goes with it; see {@link IntrospectionProviderOptions}. */
  introspection?: IntrospectionProviderOptions
}

/** The provider's side of introspection tests: off unless this option is given. */
export interface IntrospectionProviderOptions {
  /** The access tokens' format: opaque ones can only be checked by introspection. */
  accessTokenFormat: 'jwt' | 'opaque'
  /** Signed answers (RFC 9701) for {@link CLIENT_ID} when it asks for them (ES256). */
  jwtIntrospection?: boolean
  /** The public JWK of the {@link PRIVATE_KEY_JWT_CLIENT_ID} client (`private_key_jwt`). */
  clientJwk?: JWK
  /** Claims added to every token (an opaque client-credentials token has no `sub` otherwise). */
  extraTokenClaims?: Record<string, unknown>
}

export interface OidcProvider {
  /** The issuer identifier, `http://127.0.0.1:<port>` (`https:` with the `tls` option). */
  issuer: string
  /** How many times each path was requested (`/.well-known/openid-configuration`, `/jwks`...). */
  hits: Map<string, number>
  /** The current signing key. */
  key(): ProviderKey
  /** A JWT access token from the client-credentials grant for `resource` with `scope`. */
  token(options?: { resource?: string; scope?: string }): Promise<string>
  /**
   * With `tls`: the token endpoint's answer (status, body) to {@link MTLS_CLIENT_ID} presenting
   * `client` (or no certificate), the request sent by `send` (an HTTPS client trusting the CA).
   */
  mtlsToken(
    send: (url: string, body: string) => Promise<{ status: number; body: string }>,
  ): Promise<{ status: number; body: string }>
  /** Replaces the signing key with a new one (new `kid`); the old one leaves the JWKS. */
  rotate(): ProviderKey
  /** With `introspection`: revokes a token at the provider (RFC 7009, as {@link CLIENT_ID}). */
  revoke(token: string): Promise<void>
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
        ...(options.introspection?.jwtIntrospection === true
          ? { introspection_signed_response_alg: 'ES256' }
          : {}),
      },
      ...(options.tls === undefined ? [] : [mtlsClient(options.tls.clientSubject)]),
      ...introspectionClients(options.introspection),
    ],
    jwks: { keys: [key.jwk] },
    ...(options.tls === undefined
      ? {}
      : { clientAuthMethods: ['client_secret_basic', 'tls_client_auth'] }),
    scopes,
    features: {
      clientCredentials: { enabled: true },
      ...(options.tls === undefined ? {} : { mTLS: mtlsFeature() }),
      devInteractions: { enabled: false },
      ...introspectionFeatures(options.introspection),
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
            accessTokenFormat: options.introspection?.accessTokenFormat ?? 'jwt',
            accessTokenTTL: options.accessTokenTtl ?? 300,
            jwt: { sign: { alg: 'ES256' } },
          }
        },
      },
    },
    ttl: { ClientCredentials: () => options.accessTokenTtl ?? 300 },
    ...(options.introspection?.extraTokenClaims === undefined
      ? {}
      : { extraTokenClaims: () => options.introspection!.extraTokenClaims! }),
  })
  return provider
}

/** With `introspection`: the private_key_jwt client, when it has a key. */
function introspectionClients(options: IntrospectionProviderOptions | undefined): ClientMetadata[] {
  if (options?.clientJwk === undefined) return []
  return [
    {
      client_id: PRIVATE_KEY_JWT_CLIENT_ID,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [options.clientJwk] },
      id_token_signed_response_alg: 'ES256',
    },
  ]
}

/** With `introspection`: introspection and revocation, and signed answers if asked. */
function introspectionFeatures(options: IntrospectionProviderOptions | undefined) {
  if (options === undefined) return {}
  return {
    introspection: { enabled: true },
    revocation: { enabled: true },
    ...(options.jwtIntrospection === true ? { jwtIntrospection: { enabled: true } } : {}),
  }
}

function mtlsClient(subject: string): ClientMetadata {
  return {
    client_id: MTLS_CLIENT_ID,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_subject_dn: subject,
    tls_client_certificate_bound_access_tokens: true,
    id_token_signed_response_alg: 'ES256',
  }
}

/** The provider reads the client certificate from the TLS socket of the request. */
function peerCertificate(ctx: { req: IncomingMessage }): X509Certificate | undefined {
  const raw = (ctx.req.socket as TLSSocket).getPeerCertificate?.()?.raw
  return raw === undefined ? undefined : new X509Certificate(raw)
}

function mtlsFeature() {
  return {
    enabled: true,
    certificateBoundAccessTokens: true,
    tlsClientAuth: true,
    getCertificate: peerCertificate,
    certificateAuthorized: (ctx: { req: IncomingMessage }) =>
      (ctx.req.socket as TLSSocket).authorized,
    certificateSubjectMatches: (
      ctx: { req: IncomingMessage },
      property: string,
      expected: string,
    ) => property === 'tls_client_auth_subject_dn' && peerCertificate(ctx)?.subject === expected,
  }
}

/** Starts the provider on an ephemeral loopback port. */
export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcProvider> {
  const hits = new Map<string, number>()
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined
  let isDown = false
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (isDown) return void req.socket.destroy()
    const path = new URL(req.url ?? '/', 'http://x').pathname
    hits.set(path, (hits.get(path) ?? 0) + 1)
    if (path === '/jwks' && options.jwksCacheControl !== undefined) {
      res.setHeader('Cache-Control', options.jwksCacheControl)
    }
    handler(req, res)
  }
  const { tls } = options
  const server: Server =
    tls === undefined
      ? createServer(listener)
      : createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: false }, listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const scheme = tls === undefined ? 'http' : 'https'
  const issuer = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`
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
    mtlsToken(send) {
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: MTLS_CLIENT_ID,
        scope: 'reports:read',
        resource: options.resources[0]!,
      })
      return send(`${issuer}/token`, body.toString())
    },
    async revoke(token) {
      const response = await fetch(`${issuer}/token/revocation`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token }),
      })
      if (response.status !== 200)
        throw new Error(`the provider refused to revoke: ${response.status}`)
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
