/**
 * A small hand-written authorization server on loopback, for what oidc-provider will not do: an
 * RFC 8414-only server (no OpenID Connect document), an issuer with a path, and discovery documents
 * that lie, redirect, trickle or overflow. Each path answers as `routes` says; every request is
 * counted and logged in order.
 */
import type { ServerResponse } from 'node:http'
import { startLoopbackServer } from '../helpers/loopback-server.js'

/** How one path answers. */
export type Route =
  | { kind: 'json'; body: unknown; status?: number; headers?: Record<string, string> }
  | { kind: 'text'; body: string; status?: number }
  | { kind: 'redirect'; location: string }
  | { kind: 'hang' }

export interface MetadataServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** The paths requested, in order. */
  readonly requested: string[]
  /** Sets (or with `undefined` removes: 404) the answer of a path. */
  route(path: string, answer: Route | undefined): void
  close(): Promise<void>
}

export async function startMetadataServer(): Promise<MetadataServer> {
  const routes = new Map<string, Route>()
  const requested: string[] = []
  const server = await startLoopbackServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    requested.push(path)
    req.resume()
    answer(res, routes.get(path))
  })
  return {
    origin: server.origin,
    requested,
    route(path, route) {
      if (route === undefined) routes.delete(path)
      else routes.set(path, route)
    },
    close: () => server.close(),
  }
}

function answer(res: ServerResponse, route: Route | undefined): void {
  if (route === undefined) {
    res.statusCode = 404
    res.end('not found')
    return
  }
  switch (route.kind) {
    case 'json':
      res.statusCode = route.status ?? 200
      res.setHeader('Content-Type', 'application/json')
      for (const [name, value] of Object.entries(route.headers ?? {})) res.setHeader(name, value)
      res.end(JSON.stringify(route.body))
      return
    case 'text':
      res.statusCode = route.status ?? 200
      res.setHeader('Content-Type', 'application/json')
      res.end(route.body)
      return
    case 'redirect':
      res.statusCode = 302
      res.setHeader('Location', route.location)
      res.end()
      return
    case 'hang':
      return
  }
}
