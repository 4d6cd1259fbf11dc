/**
 * A minimal app around `authenticate()` for HTTP tests, on Express 5 or Express 4. The protected
 * handler records that it ran, so tests can assert it did not.
 */
import express5 from 'express'
import express4 from 'express4'
import cookieParser from 'cookie-parser'
import type { RequestHandler } from 'express'
import { authenticate, authErrorHandler, declareRequestAuth } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'

export type ExpressVersion = 'express5' | 'express4'
export const EXPRESS_VERSIONS: ExpressVersion[] = ['express5', 'express4']

/** The express module of a version, for suites that build their apps themselves. */
export function expressOf(version: ExpressVersion | undefined): typeof express5 {
  return version === 'express4' ? express4 : express5
}

/**
 * Each Express version with `req.auth` as an own property (the default) and declared on the app's
 * request prototype (`declareRequestAuth`): suites that run over these prove both behave alike.
 */
export const APP_SETUPS: [ExpressVersion, boolean][] = EXPRESS_VERSIONS.flatMap((version) => [
  [version, false],
  [version, true],
])

export const COOKIE_SECRET = 'cookie-signing-secret-for-tests'

export interface TestApp {
  app: express5.Express
  /** How many times the protected handler ran. */
  ran(): number
}

export interface TestAppOptions {
  version?: ExpressVersion
  /** cookie-parser with {@link COOKIE_SECRET} (the default), with another secret or none, or off. */
  cookieParser?: boolean | { secret: string | undefined }
  errorHandler?: boolean | { problemJson: boolean }
  /** Guards placed before the protected handler on GET /protected. */
  guards?: RequestHandler[]
  /** Declare `req.auth` on the app's request prototype first (`declareRequestAuth`). */
  declareAuth?: boolean
}

/** GET /protected answers `{ auth }` (req.auth serialised) and counts its runs. */
export function createTestApp(
  options: AuthenticateOptions,
  settings: TestAppOptions = {},
): TestApp {
  const factory = expressOf(settings.version)
  const app = factory()
  let runs = 0
  if (settings.declareAuth === true) declareRequestAuth(app)
  const parser = settings.cookieParser ?? true
  if (parser !== false) app.use(cookieParser(parser === true ? COOKIE_SECRET : parser.secret))
  app.use(authenticate(options))
  app.get('/protected', ...(settings.guards ?? []), (req, res) => {
    runs++
    res.json({ auth: req.auth ?? null, token: req.auth?.token ?? null })
  })
  if (settings.errorHandler !== undefined && settings.errorHandler !== false) {
    app.use(authErrorHandler(settings.errorHandler === true ? {} : settings.errorHandler))
  }
  return { app, ran: () => runs }
}
