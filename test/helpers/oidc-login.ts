/**
 * A real OpenID Provider (`oidc-provider`) on loopback with a browser login, for tests of what
 * follows a user's sign-in: the authorization code flow with PKCE, driven by plain fetch and a
 * cookie jar through an interaction handler written here (it signs the user in with the `acr`,
 * `amr` and authentication time the test asks for), then RP-initiated logout, after which the
 * provider posts its back-channel logout token to the client's `backchannel_logout_uri`.
 *
 * Apart from `oidc-provider.ts` (client credentials, mTLS, DPoP) so that the two grow separately;
 * the provider, its key and its issuer are this file's own.
 *
 * The access tokens are RFC 9068 JWTs for `resource`. The provider keeps `sid` on its access tokens
 * but writes no `sid`, `acr` or `auth_time` into the JWT, so `extraTokenClaims` copies them there:
 * `sid` from the token, `acr` and `auth_time` from the authorization code it was exchanged for
 * (exactly what the ID token of the same code says).
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWK } from 'jose'
import Provider from 'oidc-provider'
import type { KoaContextWithOIDC } from 'oidc-provider'

/** The web client that signs users in and receives back-channel logout tokens. */
export const LOGIN_CLIENT_ID = 'jwt-gate-web'
export const LOGIN_CLIENT_SECRET = 'a-web-client-secret-long-enough-for-the-provider-0123'
const REDIRECT_URI = 'http://127.0.0.1:1/callback'
const POST_LOGOUT_URI = 'http://127.0.0.1:1/signed-out'

export interface LoginProviderOptions {
  /** The resource its access tokens are for (their `aud`). */
  resource: string
  /** Where the provider posts logout tokens (the app's handler). */
  backchannelLogoutUri: string
  /** Whether logout tokens carry `sid` (`backchannel_logout_session_required`). @defaultValue true */
  sessionRequired?: boolean
  /** Access-token lifetime, in seconds. @defaultValue 300 */
  accessTokenTtl?: number
}

/** How the interaction handler signs the user in. */
export interface LoginAs {
  user: string
  /** The authentication context class the login reports. @defaultValue 'urn:jwt-gate:pwd' */
  acr?: string
  amr?: string[]
  /** When the user authenticated, seconds since the epoch. @defaultValue now */
  authTime?: number
}

/** What a finished login gives the test. */
export interface LoginResult {
  idToken: string
  accessToken: string
  /** The provider's session cookies (for the end-session request). */
  cookies: CookieJar
}

export interface LoginProvider {
  issuer: string
  /** The signing key, with its private part (tests sign look-alike logout tokens with it). */
  key: { kid: string; privateKey: KeyObject; jwk: JWK }
  /** The provider's back-channel deliveries: `ok` or the provider's error message. */
  deliveries: string[]
  login(as: LoginAs): Promise<LoginResult>
  /** RP-initiated logout of the session; resolves once the provider has posted its logout token. */
  endSession(login: LoginResult): Promise<void>
  close(): Promise<void>
}

/** Cookies by name, as a browser for one site would keep them (paths are ignored: one origin). */
export class CookieJar {
  readonly #cookies = new Map<string, string>()

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';')
      const at = pair.indexOf('=')
      const name = pair.slice(0, at).trim()
      const value = pair.slice(at + 1).trim()
      const expired = attributes.some((a) => /expires=.*1970/i.test(a))
      if (value === '' || expired) this.#cookies.delete(name)
      else this.#cookies.set(name, value)
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
}

function newKey(): LoginProvider['key'] {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const kid = `login-key-${randomBytes(4).toString('hex')}`
  return {
    kid,
    privateKey,
    jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
  }
}

const SCOPE = 'openid reports:read'

function buildProvider(issuer: string, key: JWK, options: LoginProviderOptions): Provider {
  const ttl = options.accessTokenTtl ?? 300
  return new Provider(issuer, {
    clients: [
      {
        client_id: LOGIN_CLIENT_ID,
        client_secret: LOGIN_CLIENT_SECRET,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
        post_logout_redirect_uris: [POST_LOGOUT_URI],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
        backchannel_logout_uri: options.backchannelLogoutUri,
        backchannel_logout_session_required: options.sessionRequired ?? true,
      },
    ],
    jwks: { keys: [key] },
    scopes: ['openid', 'reports:read'],
    acrValues: ['urn:jwt-gate:pwd', 'urn:jwt-gate:mfa'],
    findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
    loadExistingGrant: grantEverything(options.resource),
    extraTokenClaims: sessionClaims,
    // The provider refuses to post to loopback addresses (SSRF protection); these tests need it.
    fetch: (url, init) => {
      const { dispatcher: _ssrfGuard, ...rest } = init as RequestInit & { dispatcher?: unknown }
      return fetch(url, rest)
    },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.resource,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'reports:read',
          audience: options.resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: ttl,
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  })
}

/** Consent is not what these tests are about: every request is granted what it asks. */
function grantEverything(resource: string) {
  return async (ctx: KoaContextWithOIDC) => {
    const { session, client, provider } = ctx.oidc
    const existing = session?.grantIdFor(client!.clientId)
    if (existing !== undefined) return provider.Grant.find(existing)
    const grant = new provider.Grant({ accountId: session!.accountId!, clientId: client!.clientId })
    grant.addOIDCScope(SCOPE)
    grant.addResourceScope(resource, 'reports:read')
    await grant.save()
    return grant
  }
}

/** `sid`, `acr` and `auth_time` into the JWT access token (see the module comment). */
function sessionClaims(ctx: KoaContextWithOIDC, token: object) {
  const code = ctx.oidc.entities.AuthorizationCode as
    { acr?: string; authTime?: number } | undefined
  return { sid: (token as { sid?: string }).sid, acr: code?.acr, auth_time: code?.authTime }
}

/** PKCE (RFC 7636) S256. */
function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

/** Starts the provider on an ephemeral loopback port. */
export async function startLoginProvider(options: LoginProviderOptions): Promise<LoginProvider> {
  const key = newKey()
  // Set once the port (and so the issuer) is known.
  const op: {
    provider?: Provider
    callback?: (req: IncomingMessage, res: ServerResponse) => unknown
  } = {}
  let next: LoginAs | undefined
  const deliveries: string[] = []
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/interaction/') === true) {
      interact(req, res).catch((error: unknown) => {
        res.statusCode = 500
        res.end(String(error))
      })
    } else void op.callback!(req, res)
  })
  /** The login prompt: signs in the user the test named (the grant is loaded, not asked for). */
  async function interact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await op.provider!.interactionDetails(req, res)
    if (details.prompt.name !== 'login' || next === undefined) {
      throw new Error(`unexpected prompt ${JSON.stringify(details.prompt)}`)
    }
    const login = {
      accountId: next.user,
      acr: next.acr ?? 'urn:jwt-gate:pwd',
      amr: next.amr ?? ['pwd'],
      ts: next.authTime ?? Math.floor(Date.now() / 1000),
    }
    await op.provider!.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false })
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = buildProvider(issuer, key.jwk, options)
  op.provider = provider
  op.callback = provider.callback()
  provider.on('backchannel.success', () => deliveries.push('ok'))
  provider.on('backchannel.error', (_ctx, error: Error) => deliveries.push(error.message))

  /** Follows the provider's redirects with the jar until one leaves it (to the client). */
  async function follow(url: string, jar: CookieJar, init: RequestInit = {}): Promise<URL> {
    let response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: jar.header() },
    })
    for (let hops = 0; hops < 10; hops++) {
      jar.take(response)
      const location = response.headers.get('location')
      if (location === null) {
        throw new Error(
          `the provider answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
        )
      }
      const target = new URL(location, issuer)
      if (target.origin !== issuer) return target
      response = await fetch(target, { redirect: 'manual', headers: { cookie: jar.header() } })
    }
    throw new Error('too many redirects')
  }

  async function exchange(code: string, verifier: string): Promise<Record<string, string>> {
    const basic = Buffer.from(`${LOGIN_CLIENT_ID}:${LOGIN_CLIENT_SECRET}`).toString('base64')
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
        resource: options.resource,
      }),
    })
    const body = (await response.json()) as Record<string, string>
    if (response.status !== 200) throw new Error(`token endpoint: ${response.status} ${body.error}`)
    return body
  }

  return {
    issuer,
    key,
    deliveries,
    async login(as) {
      next = as
      const jar = new CookieJar()
      const { verifier, challenge } = pkce()
      const query = new URLSearchParams({
        client_id: LOGIN_CLIENT_ID,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: SCOPE,
        resource: options.resource,
        state: randomBytes(8).toString('hex'),
        code_challenge: challenge,
        code_challenge_method: 'S256',
      })
      const back = await follow(`${issuer}/auth?${query.toString()}`, jar)
      const code = back.searchParams.get('code')
      if (code === null) throw new Error(`no code: ${back.searchParams.get('error')}`)
      const tokens = await exchange(code, verifier)
      return { idToken: tokens.id_token!, accessToken: tokens.access_token!, cookies: jar }
    },
    async endSession({ idToken, cookies }) {
      const query = new URLSearchParams({
        id_token_hint: idToken,
        post_logout_redirect_uri: POST_LOGOUT_URI,
      })
      const page = await fetch(`${issuer}/session/end?${query.toString()}`, {
        headers: { cookie: cookies.header() },
      })
      cookies.take(page)
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(await page.text())?.[1]
      if (xsrf === undefined) throw new Error(`no logout form: ${page.status}`)
      await follow(`${issuer}/session/end/confirm`, cookies, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
      })
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
