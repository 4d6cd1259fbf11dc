/**
 * The HTTP side of the attack suite: a real Express app per target on a loopback port, a protected
 * route that records whether it ran, the rejection codes seen by `onRejected`, and the table runner
 * that asserts every attack is refused with 400/401 and a challenge.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import express from 'express'
import cookieParser from 'cookie-parser'
import request from 'supertest'
import type { Response } from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate } from '../../../src/index.js'
import type { AuthenticateMiddleware, AuthErrorCode, RejectionEvent } from '../../../src/index.js'
import { COOKIE, TARGETS, tokenFor } from './targets.js'
import type { Target, TargetName } from './targets.js'

/** A running app under attack. */
export interface AttackServer {
  readonly server: Server
  readonly port: number
  readonly middleware: AuthenticateMiddleware
  /** How many times the protected handler ran. */
  ran(): number
  /** The last rejection reported through `onRejected`. */
  lastRejection(): RejectionEvent | undefined
  close(): Promise<void>
}

/** Starts an Express 5 app with cookie-parser, `authenticate()` and `ALL /protected`. */
export async function startServer(t: Target): Promise<AttackServer> {
  let runs = 0
  let last: RejectionEvent | undefined
  const middleware = authenticate({
    ...t.options(),
    onRejected: (event) => {
      last = event
    },
  })
  const app = express()
  app.use(cookieParser())
  app.use(middleware)
  app.all('/protected', (req, res) => {
    runs++
    res.json({ subject: req.auth?.subject ?? null })
  })
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    server,
    port: (server.address() as AddressInfo).port,
    middleware,
    ran: () => runs,
    lastRejection: () => last,
    async close() {
      await middleware.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** One attack request. A `token` goes into `Authorization: Bearer`. */
export interface AttackRequest {
  token?: string
  headers?: Record<string, string>
  path?: string
  method?: 'GET' | 'POST'
  body?: string
}

/** One row of an attack table. */
export interface AttackRow {
  /** The RFC section, CVE or named attack the row covers. */
  ref: string
  name: string
  build: (t: Target) => AttackRequest | Promise<AttackRequest>
  /** Only for these targets (default: all). */
  applies?: (t: Target) => boolean
  /** The rejection codes that count as the right reason (any 400/401 when absent). */
  codes?: readonly AuthErrorCode[]
}

/** Generous bound for one request: an attack must be answered promptly, never hang. */
export const PROMPT_MS = 2_000

/** Sends one request and returns the response with its round-trip time. */
export async function send(
  srv: AttackServer,
  req: AttackRequest,
): Promise<Response & { elapsed: number }> {
  const started = performance.now()
  const agent = request(srv.server)
  let test =
    req.method === 'POST'
      ? agent.post(req.path ?? '/protected')
      : agent.get(req.path ?? '/protected')
  if (req.token !== undefined) test = test.set('Authorization', `Bearer ${req.token}`)
  for (const [name, value] of Object.entries(req.headers ?? {})) test = test.set(name, value)
  if (req.body !== undefined) test = test.send(req.body)
  const res = await test.timeout(PROMPT_MS * 5)
  return Object.assign(res, { elapsed: performance.now() - started })
}

const CHALLENGE =
  /^Bearer realm="api"(?:, error="(invalid_request|invalid_token)", error_description="[\x20-\x21\x23-\x5b\x5d-\x7e]*")?$/

/**
 * The promise every attack must keep: 400 or 401, an RFC 6750 challenge whose `error` fits the
 * status, an answer well within {@link PROMPT_MS}, and the protected handler never ran.
 */
export function expectRejected(
  res: Response & { elapsed: number },
  srv: AttackServer,
  ranBefore: number,
  codes?: readonly AuthErrorCode[],
): void {
  expect(srv.ran(), 'the protected handler ran').toBe(ranBefore)
  expect([400, 401], `status ${res.status}`).toContain(res.status)
  const challenge = res.headers['www-authenticate'] as string | undefined
  expect(challenge).toMatch(CHALLENGE)
  const error = CHALLENGE.exec(challenge ?? '')?.[1]
  if (res.status === 400) expect(error).toBe('invalid_request')
  if (res.status === 401 && error !== undefined) expect(error).toBe('invalid_token')
  expect(res.elapsed).toBeLessThan(PROMPT_MS)
  if (codes !== undefined) expect(codes).toContain(srv.lastRejection()?.code)
}

/** Asserts a control request passes. */
export function expectPassed(
  res: Response & { elapsed: number },
  srv: AttackServer,
  ranBefore: number,
  subject = 'alice',
): void {
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  expect(res.body).toEqual({ subject })
  expect(srv.ran()).toBe(ranBefore + 1)
}

/**
 * Runs every row against every applicable target over HTTP, after a valid control per target
 * (header and cookie) proves the app would let a good token through.
 */
export function runAttackTable(
  title: string,
  rows: readonly AttackRow[],
  targets: readonly TargetName[] = TARGETS.map((t) => t.name),
): void {
  describe.each(TARGETS.filter((t) => targets.includes(t.name)))(`${title} [$name]`, (t) => {
    let srv: AttackServer
    beforeAll(async () => {
      srv = await startServer(t)
    })
    afterAll(async () => {
      await srv.close()
    })

    it('control: a valid token passes in the Authorization header', async () => {
      const before = srv.ran()
      expectPassed(await send(srv, { token: tokenFor(t) }), srv, before)
    })

    it('control: a valid token passes in the cookie', async () => {
      const before = srv.ran()
      const res = await send(srv, { headers: { Cookie: `${COOKIE}=${tokenFor(t)}` } })
      expectPassed(res, srv, before)
    })

    for (const row of rows) {
      if (row.applies !== undefined && !row.applies(t)) continue
      it(`${row.ref}: ${row.name}`, async () => {
        const req = await row.build(t)
        const before = srv.ran()
        const res = await send(srv, req)
        expectRejected(res, srv, before, row.codes)
      })
    }
  })
}
