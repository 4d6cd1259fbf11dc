/**
 * An Express app protected by jwt-gate for the provider tests: GET /protected counts its runs, and
 * the middleware is kept so tests can read `readiness()` and close it.
 */
import express from 'express'
import request from 'supertest'
import type { Response } from 'supertest'
import { expect } from 'vitest'
import { authenticate, authErrorHandler } from '../../src/index.js'
import type { AuthenticateMiddleware, AuthenticateOptions, AuthErrorCode } from '../../src/index.js'

export interface Gate {
  readonly middleware: AuthenticateMiddleware
  /** How many times the protected handler ran. */
  ran(): number
  /** GET /protected with `Authorization: Bearer <token>`. */
  get(token: string): Promise<Response>
}

export function startGate(options: AuthenticateOptions): Gate {
  const middleware = authenticate(options)
  const app = express()
  let runs = 0
  app.use(middleware)
  app.get('/protected', (req, res) => {
    runs++
    res.json({ subject: req.auth?.subject ?? null })
  })
  app.use(authErrorHandler())
  return {
    middleware,
    ran: () => runs,
    get: (token) => request(app).get('/protected').set('Authorization', `Bearer ${token}`),
  }
}

/** The request passed: 200 and the handler ran once more. */
export async function expectPass(gate: Gate, token: string): Promise<void> {
  const before = gate.ran()
  const res = await gate.get(token)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  expect(gate.ran()).toBe(before + 1)
}

/** The request was refused with `status` and `code`, and the handler did not run. */
export async function expectRefused(
  gate: Gate,
  token: string,
  status: 401 | 503,
  code: AuthErrorCode,
): Promise<Response> {
  const before = gate.ran()
  const res = await gate.get(token)
  expect(gate.ran()).toBe(before)
  expect(res.status).toBe(status)
  expect((res.body as { code?: string }).code).toBe(code)
  if (status === 503) expect(res.headers['retry-after']).toBe('5')
  else expect(res.headers['www-authenticate']).toMatch(/^Bearer /)
  return res
}
