/**
 * The protected example app as an Express app (not listening). It trusts the AuthAPI's cookie
 * (or a bearer header) through jwt-gate: HTML pages send unauthenticated browsers to the AuthAPI
 * login page; the JSON API answers with jwt-gate's errors.
 *
 * @module
 */
import { createMemoryRevocationStore } from '../../src/stores/memory.js'
import { mountBackchannelLogout, type BackchannelLogoutConfig } from './logout.js'
import express, {
  type Express,
  type NextFunction,
  type Request,
  type Response,
  type Router,
} from 'express'
import {
  authenticate,
  authErrorHandler,
  isAuthError,
  requireAuth,
  requireRoles,
  requireScopes,
  type AuthenticateOptions,
  type RevocationStore,
} from '../../src/index.js'
import { logoutHandler } from './revocation.js'
import {
  sendAdminPage,
  sendErrorPage,
  sendForbiddenPage,
  sendHomePage,
  sendMePage,
  type PageLinks,
} from './pages.js'

/** What the app is built from. */
export interface AppOptions {
  /** jwt-gate options (credentials are made optional: `/` works signed out). */
  authenticate: AuthenticateOptions
  loginUrl: URL
  logoutUrl: URL
  /** Public base URL for the redirect back after login; else taken from the request. */
  publicUrl?: URL | undefined
  /** `POST /backchannel-logout` (`JWT_BACKCHANNEL_LOGOUT`), revoking in a memory store. */
  backchannelLogout?: BackchannelLogoutConfig | undefined
  /** With a revocation store, `POST /api/logout` revokes the caller's session everywhere. */
  revocation?: RevocationStore | undefined
}

/** The app and the release of jwt-gate's resources (JWKS timers, stores). */
export interface ExampleApp {
  app: Express
  /** Fetches remote keys now (so `/healthz` turns ready without waiting for a first token). */
  warmUp(): Promise<void>
  close(): Promise<void>
}

/** Builds the protected app. Throws jwt-gate's `AuthConfigError` for bad options. */
export function createApp(options: AppOptions): ExampleApp {
  const logout = options.backchannelLogout
  const gate = authenticate({
    ...options.authenticate,
    credentials: 'optional',
    // Logout needs a revocation store: the bus's (REVOCATION_BUS) when set, else this process's.
    ...(logout === undefined || options.authenticate.revocation !== undefined
      ? {}
      : { revocation: { store: createMemoryRevocationStore() } }),
  })
  const app = express()
  app.disable('x-powered-by')
  if (logout !== undefined) mountBackchannelLogout(app, gate, logout)
  // Readiness for a load balancer or an orchestrator: 200 once every issuer has usable keys.
  app.get('/healthz', (_req, res) => {
    const report = gate.authenticator.readiness()
    res
      .status(report.ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json(report)
  })

  function baseUrl(req: Request): string {
    return options.publicUrl?.href ?? `${req.protocol}://${req.get('host') ?? 'localhost'}/`
  }

  function links(req: Request): PageLinks {
    const login = new URL(options.loginUrl)
    try {
      login.searchParams.set('redirect', new URL(req.originalUrl, baseUrl(req)).href)
    } catch {
      // A Host header that does not form a URL: log in without the way back.
    }
    let afterLogout = '/'
    try {
      afterLogout = new URL('/me', baseUrl(req)).href
    } catch {
      // As above.
    }
    return {
      login: login.href,
      logout: options.logoutUrl.href,
      afterLogout,
      authOrigin: options.logoutUrl.origin,
    }
  }

  const api: Router = express.Router()
  api.use(gate)
  api.get('/me', requireAuth(), (req, res) => {
    const auth = req.auth!
    res.set('Cache-Control', 'no-store').json({
      sub: auth.subject,
      iss: auth.issuer ?? null,
      roles: auth.roles,
      scopes: auth.scopes,
      source: auth.source,
      claims: auth.claims,
      ...(auth.user === undefined ? {} : { user: auth.user }),
    })
  })
  api.get('/admin', requireRoles('admin'), (req, res) => {
    res.set('Cache-Control', 'no-store').json({ sub: req.auth!.subject, admin: true })
  })
  // A scope guard: with JWT_RESOURCE set, its scope is listed in the protected-resource metadata.
  api.get('/reports', requireScopes('reports:read'), (req, res) => {
    res.set('Cache-Control', 'no-store').json({ sub: req.auth!.subject, reports: [] })
  })
  if (options.revocation !== undefined)
    api.post('/logout', requireAuth(), logoutHandler(options.revocation))
  api.use(authErrorHandler())
  app.use('/api', api)

  const pages: Router = express.Router()
  pages.use(gate)
  pages.get('/', (req, res) => sendHomePage(res, req.auth, links(req)))
  pages.get('/me', requireAuth(), (req, res) => sendMePage(res, req.auth!, links(req)))
  pages.get(
    '/admin',
    (_req, res, next) => {
      res.locals['required'] = 'the role "admin"'
      next()
    },
    requireRoles('admin'),
    (req, res) => sendAdminPage(res, req.auth!, links(req)),
  )
  pages.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!isAuthError(err)) {
      next(err)
      return
    }
    if (err.status === 401 && (req.method === 'GET' || req.method === 'HEAD')) {
      res.set('Cache-Control', 'no-store').redirect(302, links(req).login)
      return
    }
    if (err.status === 403) {
      const required: unknown = res.locals['required']
      sendForbiddenPage(
        res,
        req.auth,
        links(req),
        typeof required === 'string' ? required : 'more rights',
      )
      return
    }
    if (err.headers['Retry-After'] !== undefined) res.set('Retry-After', err.headers['Retry-After'])
    sendErrorPage(
      res,
      err.status,
      err.expose ? err.message : 'A service the app needs is unavailable; try again shortly.',
      links(req),
    )
  })
  app.use(pages)

  return { app, warmUp: () => gate.warmUp(), close: () => gate.close() }
}
