/** Shared assertions: status, exact challenge, error code in the body, handler not run. */
import { expect } from 'vitest'
import type { Response } from 'supertest'
import type { TestApp } from '../helpers/app.js'

export function expectRejected(
  res: Response,
  app: TestApp,
  status: number,
  code: string,
  challenge?: string,
): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code })
  if (challenge !== undefined) expect(res.headers['www-authenticate']).toBe(challenge)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(app.ran()).toBe(0)
}

/** The challenge an `invalid_token` failure carries. */
export const invalidToken = (description: string): string =>
  `Bearer realm="api", error="invalid_token", error_description="${description}"`
