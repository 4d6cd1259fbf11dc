/**
 * An optional error handler for jwt-gate's errors: RFC 9457 `application/problem+json` (or a plain
 * RFC 6750-style JSON body), with the status and headers the error carries. Other errors pass on.
 *
 * @module
 */
import { STATUS_CODES } from 'node:http'
import type { ErrorRequestHandler } from 'express'
import { isAuthError } from '../errors.js'

/** Options of {@link authErrorHandler}. */
export interface AuthErrorHandlerOptions {
  /** `true`: RFC 9457 problem details; `false`: `{ error, error_description, code }`. @defaultValue true */
  problemJson?: boolean
}

/**
 * Renders jwt-gate errors. Mount after your routes: `app.use(authErrorHandler())`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9457
 */
export function authErrorHandler(options: AuthErrorHandlerOptions = {}): ErrorRequestHandler {
  const problemJson = options.problemJson ?? true
  return (err: unknown, _req, res, next) => {
    if (!isAuthError(err) || res.headersSent) {
      next(err)
      return
    }
    const detail = err.expose ? err.message : 'service unavailable'
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
