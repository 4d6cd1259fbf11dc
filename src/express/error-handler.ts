/**
 * An optional error handler for jwt-gate's errors: RFC 9457 `application/problem+json` (or a plain
 * RFC 6750-style JSON body), with the status and headers the error carries. Other errors pass on.
 *
 * @module
 */
import { STATUS_CODES } from 'node:http'
import type { ErrorRequestHandler } from 'express'
import { AuthConfigError, isAuthError } from '../errors.js'
import type { AuthError } from '../errors.js'
import { createErrorLog } from './error-log.js'

/** Options of {@link authErrorHandler}. */
export interface AuthErrorHandlerOptions {
  /** `true`: RFC 9457 problem details; `false`: `{ error, error_description, code }`. @defaultValue true */
  problemJson?: boolean
  /**
   * Where the server-side failures (5xx: a store or key set down, a mounting mistake) are
   * logged, with their cause: one line per distinct cause, again at most once a minute while it
   * lasts, never holding a token, key or secret. Receives the line and the error (whose `cause`
   * is as the driver made it, unredacted); `false` logs nothing. @defaultValue `console.error` of
   * the line
   */
  logger?: ((line: string, error: AuthError) => void) | false
}

/**
 * Renders jwt-gate errors, and logs the cause of server-side ones (see the `logger` option).
 * Mount after your routes: `app.use(authErrorHandler())`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9457
 */
export function authErrorHandler(options: AuthErrorHandlerOptions = {}): ErrorRequestHandler {
  const problemJson = options.problemJson ?? true
  if (
    options.logger !== undefined &&
    options.logger !== false &&
    typeof options.logger !== 'function'
  ) {
    throw new AuthConfigError('logger', 'must be a function or false')
  }
  const logger = options.logger ?? ((line: string) => console.error(line))
  const logServerError = logger === false ? undefined : createErrorLog(logger)
  return (err: unknown, _req, res, next) => {
    if (!isAuthError(err) || res.headersSent) {
      next(err)
      return
    }
    if (err.status >= 500) logServerError?.(err)
    // A 5xx message is for the logs; the client gets the status phrase ('service unavailable').
    const detail = err.expose ? err.message : (STATUS_CODES[err.status] ?? 'error').toLowerCase()
    res.status(err.status).set(err.headers)
    if (problemJson) {
      res.type('application/problem+json').send(
        JSON.stringify({
          type: 'about:blank',
          title: STATUS_CODES[err.status] ?? 'Error',
          status: err.status,
          detail,
          code: err.code,
          ...(err.error === undefined ? {} : { error: err.error }),
        }),
      )
    } else {
      res.json({ error: err.error ?? 'unauthorized', error_description: detail, code: err.code })
    }
  }
}
