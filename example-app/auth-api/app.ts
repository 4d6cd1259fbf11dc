/**
 * The demo AuthAPI as an Express app (not listening): the external issuer that checks passwords,
 * signs EdDSA access tokens, sets them as a cookie and publishes its JWKS.
 *
 * @module
 */
import express, {
  type CookieOptions,
  type Express,
  type NextFunction,
  type Request,
  type Response,
} from 'express'
import { checkCsrf, type CsrfPolicy } from '../../src/request/csrf.js'
import { isAuthError } from '../../src/index.js'
import type { AuthCookieSettings } from './config.js'
import { createLoginLimiter, type LoginLimiter } from './login-limiter.js'
import { sendDonePage, sendLoginPage, sendRefusedPage } from './pages.js'
import { verifyPassword } from './password.js'
import { safeRedirect } from './redirect.js'
import type { TokenSigner } from './signer.js'
import type { AuthUser, AuthUserDb } from './user-db.js'

/** Everything the AuthAPI app is built from. */
export interface AuthApiDeps {
  users: AuthUserDb
  signer: TokenSigner
  cookie: AuthCookieSettings
  trustProxy: boolean | string
  appOrigins: readonly string[]
  defaultRedirect: string | undefined
  /** A hash checked when the username is unknown, to keep timing uniform. */
  decoyHash: string
  limiter?: LoginLimiter
}

const MAX_USERNAME = 128
const MAX_PASSWORD = 1024

type LoginResult =
  | { ok: true; user: AuthUser }
  | { ok: false; status: 401 | 429; message: string; retryAfter?: number }

/** Builds the AuthAPI. */
export function createAuthApi(deps: AuthApiDeps): Express {
  const app = express()
  const limiter = deps.limiter ?? createLoginLimiter()
  app.disable('x-powered-by')
  app.set('trust proxy', deps.trustProxy)

  function cookieOptions(req: Request): CookieOptions {
    const secure = deps.cookie.secure === 'always' || (deps.cookie.secure === 'auto' && req.secure)
    return {
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: '/',
      ...(deps.cookie.domain === undefined ? {} : { domain: deps.cookie.domain }),
    }
  }

  async function checkLogin(
    req: Request,
    username: unknown,
    password: unknown,
  ): Promise<LoginResult> {
    const invalid = { ok: false, status: 401, message: 'Invalid username or password' } as const
    if (typeof username !== 'string' || typeof password !== 'string') return invalid
    if (username.length === 0 || username.length > MAX_USERNAME || password.length > MAX_PASSWORD) {
      return invalid
    }
    const key = `${req.ip ?? ''}\u0000${username}`
    // Reserved before the hash is awaited, so that parallel guesses cannot all pass the check.
    const wait = limiter.reserve(key)
    if (wait > 0) {
      return {
        ok: false,
        status: 429,
        message: 'Too many failed attempts, try later',
        retryAfter: wait,
      }
    }
    const user = deps.users.findUser(username)
    const matches = await verifyPassword(password, user?.passwordHash ?? deps.decoyHash)
    if (user === undefined || !matches || user.disabled) return invalid
    limiter.recordSuccess(key)
    return { ok: true, user }
  }

  async function issue(req: Request, res: Response, user: AuthUser) {
    const signed = await deps.signer.sign({
      username: user.username,
      roles: user.roles,
      name: user.name,
    })
    res.cookie(deps.cookie.name, signed.token, {
      ...cookieOptions(req),
      maxAge: deps.signer.ttlSeconds * 1000,
    })
    return signed
  }

  function clearCookie(req: Request, res: Response) {
    res.clearCookie(deps.cookie.name, cookieOptions(req))
  }

  // Login and logout posted from another site are login and logout CSRF. The library's rule
  // decides (Sec-Fetch-Site, else Origin against Host; a same-site sibling is not same-origin);
  // the apps' own origins are trusted, since their sign-out buttons post here.
  const csrfPolicy: CsrfPolicy = { trustedOrigins: new Set(deps.appOrigins) }
  function crossSite(req: Request): boolean {
    try {
      checkCsrf(req, csrfPolicy)
      return false
    } catch (err) {
      if (isAuthError(err)) return true
      throw err
    }
  }

  app.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(deps.signer.jwks)
  })

  app.get('/', (_req, res) => {
    res.redirect(303, '/login')
  })

  app.get('/login', (req, res) => {
    sendLoginPage(res, 200, {
      redirect: safeRedirect(req.query['redirect'], deps.appOrigins),
      appOrigins: deps.appOrigins,
    })
  })

  const form = express.urlencoded({ extended: false, limit: '8kb' })
  app.post('/login', form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const redirect = safeRedirect(body['redirect'], deps.appOrigins)
    if (crossSite(req)) {
      sendRefusedPage(res, 403, 'Cross-site login requests are not accepted.')
      return
    }
    const result = await checkLogin(req, body['username'], body['password'])
    if (!result.ok) {
      if (result.retryAfter !== undefined) res.set('Retry-After', String(result.retryAfter))
      sendLoginPage(res, result.status, {
        redirect,
        username:
          typeof body['username'] === 'string' ? body['username'].slice(0, MAX_USERNAME) : '',
        error: result.message,
        appOrigins: deps.appOrigins,
      })
      return
    }
    await issue(req, res, result.user)
    const target = redirect ?? deps.defaultRedirect
    if (target === undefined) sendDonePage(res, `Signed in as ${result.user.username}`)
    else res.redirect(303, target)
  })

  app.post('/logout', form, (req, res) => {
    if (crossSite(req)) {
      sendRefusedPage(res, 403, 'Cross-site logout requests are not accepted.')
      return
    }
    clearCookie(req, res)
    const body = (req.body ?? {}) as Record<string, unknown>
    const target = safeRedirect(body['redirect'], deps.appOrigins)
    if (target === undefined) sendDonePage(res, 'Signed out')
    else res.redirect(303, target)
  })

  const json = express.json({ limit: '8kb' })
  app.post('/api/login', json, async (req, res) => {
    if (crossSite(req)) {
      res.status(403).json({ error: 'cross_site_request' })
      return
    }
    const body = (req.body ?? {}) as Record<string, unknown>
    const result = await checkLogin(req, body['username'], body['password'])
    if (!result.ok) {
      if (result.retryAfter !== undefined) res.set('Retry-After', String(result.retryAfter))
      res
        .status(result.status)
        .json({ error: result.status === 429 ? 'too_many_attempts' : 'invalid_credentials' })
      return
    }
    const signed = await issue(req, res, result.user)
    res.set('Cache-Control', 'no-store').json({
      access_token: signed.token,
      token_type: 'Bearer',
      expires_in: deps.signer.ttlSeconds,
      expires_at: signed.expiresAt,
    })
  })

  app.post('/api/logout', (req, res) => {
    // Logout CSRF: another site must not be able to sign the user out either.
    if (crossSite(req)) {
      res.status(403).json({ error: 'cross_site_request' })
      return
    }
    clearCookie(req, res)
    res.status(204).end()
  })

  // Body-parser failures (bad JSON, too large) are the client's; anything else is logged by
  // message only, since a stack may carry request data.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown }).status
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: 'bad_request' })
      return
    }
    console.error('auth-api: request failed:', err instanceof Error ? err.message : 'unknown error')
    res.status(500).json({ error: 'server_error' })
  })

  return app
}
