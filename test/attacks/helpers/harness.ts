/**
 * The HTTP side of the attack suite: a real Express app per target on a loopback port, a protected
 * route that records whether it ran, the rejection codes seen by `onRejected`, and the table runner
 * that asserts every attack is refused with 400/401 and a challenge.
 */
import { createServer } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import express from 'express'
import express4 from 'express4'
import cookieParser from 'cookie-parser'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authErrorHandler, authenticate } from '../../../src/index.js'
import type { AuthenticateMiddleware, AuthErrorCode, RejectionEvent } from '../../../src/index.js'
import { issuerKeys } from './keys.js'
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
  const app = (t.express4 === true ? express4 : express)() as express.Express
  app.use(cookieParser(t.cookieSecret))
  app.use(middleware)
  app.all('/protected', (req, res) => {
    runs++
    res.json({ subject: req.auth?.subject ?? null })
  })
  if (t.errorHandler !== undefined) app.use(authErrorHandler(t.errorHandler))
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

/**
 * One attack request. A `token` goes into `Authorization: Bearer`; `raw` is sent verbatim over a
 * socket (for what an HTTP client cannot send, such as two `Authorization` lines).
 */
export interface AttackRequest {
  token?: string
  headers?: Record<string, string>
  path?: string
  method?: 'GET' | 'POST'
  body?: string
  raw?: string
}

/** What came back, from supertest or from a raw socket. */
export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: unknown
  /** The raw response body. */
  text: string
  /** Round-trip time in ms. */
  elapsed: number
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
  /**
   * Node's HTTP parser answers before any middleware runs (431 for oversized headers, 400 for
   * invalid characters); then only a prompt 400/413/431 and a handler that never ran are required.
   */
  byNode?: boolean
}

/**
 * Generous bound for one request: an attack must be answered promptly, never hang. Loose enough
 * for a loaded CI machine; the attacks it guards against (PBES2 iterations, inflation, backtracking)
 * would take minutes or hours.
 */
export const PROMPT_MS = 5_000

/** Sends one request and returns the answer with its round-trip time. */
export async function send(srv: AttackServer, req: AttackRequest): Promise<Answer> {
  const started = performance.now()
  if (req.raw !== undefined) {
    const answer = await sendRaw(srv.port, req.raw)
    return { ...answer, elapsed: performance.now() - started }
  }
  const agent = request(srv.server)
  let test =
    req.method === 'POST'
      ? agent.post(req.path ?? '/protected')
      : agent.get(req.path ?? '/protected')
  if (req.token !== undefined) test = test.set('Authorization', `Bearer ${req.token}`)
  for (const [name, value] of Object.entries(req.headers ?? {})) test = test.set(name, value)
  if (req.body !== undefined) test = test.send(req.body)
  const res = await test.timeout(PROMPT_MS * 3).ok(() => true)
  return {
    status: res.status,
    headers: res.headers,
    body: res.body as unknown,
    text: typeof res.text === 'string' ? res.text : '',
    elapsed: performance.now() - started,
  }
}

/** Writes a raw HTTP/1.1 request and parses the status line and headers of the answer. */
export function sendRaw(port: number, raw: string): Promise<Omit<Answer, 'elapsed'>> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.setTimeout(PROMPT_MS * 3, () => socket.destroy(new Error('raw request timed out')))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', (error) => {
      // The server may close while a huge request is still being written; keep what it answered.
      if (chunks.length > 0) finish()
      else reject(error)
    })
    socket.on('close', finish)
    socket.write(raw)
    let done = false
    function finish(): void {
      if (done) return
      done = true
      const text = Buffer.concat(chunks).toString('latin1')
      const [head = '', body = ''] = text.split('\r\n\r\n')
      const [statusLine = '', ...lines] = head.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      let parsed: unknown = body
      if (headers['content-type']?.includes('json') === true) {
        try {
          parsed = JSON.parse(body)
        } catch {
          // keep the text: a truncated or non-JSON body is itself worth seeing in a failure
        }
      }
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body: parsed, text: body })
    }
  })
}

const CHALLENGE =
  /^Bearer realm="api"(?:, error="(invalid_request|invalid_token)", error_description="[\x20-\x21\x23-\x5b\x5d-\x7e]*")?$/

/**
 * The promise every attack must keep: 400 or 401, an RFC 6750 challenge whose `error` fits the
 * status, an answer well within {@link PROMPT_MS}, and the protected handler never ran.
 */
export function expectAttackRejected(
  res: Answer,
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

/** An oversized or unparsable request: a prompt 400/413/431 from Node, the handler never ran. */
export function expectRefusedByNode(res: Answer, srv: AttackServer, ranBefore: number): void {
  expect(srv.ran(), 'the protected handler ran').toBe(ranBefore)
  expect([400, 413, 431], `status ${res.status}`).toContain(res.status)
  expect(res.elapsed).toBeLessThan(PROMPT_MS)
}

/** Neither the token nor the HMAC secret appears anywhere in the answer (promise 10). */
export function expectNoLeak(res: Answer, req: AttackRequest): void {
  const answer = `${JSON.stringify(res.headers)}\n${res.text}`
  expect(answer).not.toContain(issuerKeys.secret)
  const token = req.token ?? ''
  for (const part of token.split('.')) {
    if (part.length >= 16) expect(answer).not.toContain(part)
  }
}

/** Asserts a control request passes. */
export function expectPassed(
  res: Answer,
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
  targets: readonly (TargetName | Target)[] = TARGETS,
): void {
  const chosen = targets.map((t) =>
    typeof t === 'string' ? TARGETS.find((known) => known.name === t)! : t,
  )
  describe.each(chosen)(`${title} [$name]`, (t) => {
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
      const value = (t.cookieValue ?? ((token: string) => token))(tokenFor(t))
      const res = await send(srv, { headers: { Cookie: `${COOKIE}=${value}` } })
      expectPassed(res, srv, before)
    })

    for (const row of rows) {
      if (row.applies !== undefined && !row.applies(t)) continue
      it(`${row.ref}: ${row.name}`, async () => {
        const req = await row.build(t)
        const before = srv.ran()
        const res = await send(srv, req)
        if (row.byNode === true) expectRefusedByNode(res, srv, before)
        else expectAttackRejected(res, srv, before, row.codes)
        expectNoLeak(res, req)
      })
    }
  })
}
