/**
 * Writes the protected-resource metadata answers of `metadata/endpoint.ts` through Express. The
 * document, its paths and headers are decided there; this file only reads the request and writes.
 *
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { MetadataEndpoint } from '../metadata/endpoint.js'
import { WELL_KNOWN_PREFIX } from '../metadata/resource.js'

/**
 * Answers `req` when it asks for the metadata document (returns true), else leaves it alone. The
 * prefix test on `req.url` keeps the cost on every other request to one string comparison.
 */
export function answerMetadata(endpoint: MetadataEndpoint, req: Request, res: Response): boolean {
  if (!req.url.startsWith(WELL_KNOWN_PREFIX)) return false
  const answer = endpoint.answer({
    method: req.method,
    path: req.path,
    preflight: isCorsPreflight(req),
  })
  if (answer === undefined) return false
  res.status(answer.status).set(answer.headers)
  // res.send writes the length, and no body for HEAD.
  if (answer.body === undefined) res.end()
  else res.send(answer.body)
  return true
}

/**
 * The metadata alone, as middleware: for a gate mounted on a sub-path, whose middleware never
 * sees the well-known path (`app.use(gate.metadata)` at the root).
 */
export function metadataHandler(endpoint: MetadataEndpoint): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!answerMetadata(endpoint, req, res)) next()
  }
}

/**
 * A CORS preflight as browsers send it (Fetch standard): `OPTIONS` with `Origin` and
 * `Access-Control-Request-Method`. Browsers never attach credentials to it.
 */
export function isCorsPreflight(req: Request): boolean {
  return (
    req.method === 'OPTIONS' &&
    req.headers.origin !== undefined &&
    req.headers['access-control-request-method'] !== undefined
  )
}
