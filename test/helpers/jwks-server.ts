/**
 * The one fake JWKS endpoint of the tests, on a loopback port. It serves a key set on any path, or
 * fails in a chosen way (HTTP error, hang, slow body, oversized or malformed body, redirect, reset),
 * and counts every request it receives.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { JWK } from 'jose'
import { startLoopbackServer } from './loopback-server.js'

/** How the endpoint answers the next requests. */
export type JwksMode =
  | { kind: 'ok' }
  | { kind: 'status'; status: number }
  | { kind: 'hang' }
  | { kind: 'slow-body'; chunkEveryMs: number }
  | { kind: 'oversized'; declareLength: boolean }
  | { kind: 'body'; body: string; contentType?: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'reset' }

/** A running fake JWKS endpoint. */
export interface JwksServer {
  /** `http://127.0.0.1:<port>`; every path under it answers the same way. */
  readonly origin: string
  /** `<origin>/jwks`. */
  readonly url: string
  /** Requests received so far. */
  hits(): number
  /** Replaces the served keys. */
  setKeys(keys: JWK[]): void
  /** Changes how requests are answered. */
  setMode(mode: JwksMode): void
  close(): Promise<void>
}

/** Starts the endpoint, serving `keys`. */
export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let served = keys
  let mode: JwksMode = { kind: 'ok' }
  let count = 0
  const timers = new Set<NodeJS.Timeout>()

  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    count++
    req.resume()
    switch (mode.kind) {
      case 'ok':
        res.setHeader('Content-Type', 'application/jwk-set+json')
        res.end(JSON.stringify({ keys: served }))
        return
      case 'status':
        res.statusCode = mode.status
        res.end('unavailable')
        return
      case 'hang':
        return
      case 'slow-body': {
        res.setHeader('Content-Type', 'application/json')
        res.write('{"keys":[')
        const timer = setInterval(() => res.write(' '), mode.chunkEveryMs)
        timers.add(timer)
        res.on('close', () => clearInterval(timer))
        return
      }
      case 'oversized': {
        const filler = { kty: 'oct', k: 'A'.repeat(1000) }
        const body = JSON.stringify({
          keys: [...served, ...Array.from({ length: 600 }, () => filler)],
        })
        res.setHeader('Content-Type', 'application/json')
        if (mode.declareLength) res.setHeader('Content-Length', Buffer.byteLength(body))
        res.end(body)
        return
      }
      case 'body':
        res.setHeader('Content-Type', mode.contentType ?? 'application/json')
        res.end(mode.body)
        return
      case 'redirect':
        res.statusCode = 302
        res.setHeader('Location', mode.location)
        res.end()
        return
      case 'reset':
        req.socket.destroy()
        return
    }
  }

  const server = await startLoopbackServer(answer)
  const origin = server.origin
  return {
    origin,
    url: `${origin}/jwks`,
    hits: () => count,
    setKeys(next) {
      served = next
    },
    setMode(next) {
      mode = next
    },
    async close() {
      for (const timer of timers) clearInterval(timer)
      await server.close()
    },
  }
}
