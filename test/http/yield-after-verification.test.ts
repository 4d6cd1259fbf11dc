/**
 * When the Express middleware calls `next()`: after a signature check it yields to the event loop
 * first (`setImmediate`), unless `yieldAfterVerification: false`; a cache hit and a rejection found
 * before any signature check go on at once. The middleware is called directly, because "at once"
 * means "before the call returns", which only a direct call can observe. The scheduling is the
 * Express layer's own business: none of it is on the public Authenticator.
 */
import { describe, expect, it } from 'vitest'
import type { NextFunction, Request, Response } from 'express'
import { authenticate, isAuthError } from '../../src/index.js'
import type { AuthenticateOptions, AuthenticateMiddleware } from '../../src/index.js'
import { ed25519, ed25519Other, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign, tamper } from '../helpers/tokens.js'

const base: AuthenticateOptions = {
  issuers: [{ issuer: ISSUER, key: { ed25519: rawEd25519Base64(ed25519) } }],
  clock,
}

/** What one call of the middleware did: `next`'s calls before it returned, and in all. */
interface Call {
  req: Request & { auth?: { subject: string } }
  /** Calls of `next` made before the middleware returned. */
  syncCalls: number
  /** Arguments of every call of `next`, once the queued immediates have run. */
  calls: unknown[][]
}

async function call(gate: AuthenticateMiddleware, authorization: string): Promise<Call> {
  const req = {
    method: 'GET',
    headers: { authorization },
    rawHeaders: ['Authorization', authorization],
  } as unknown as Call['req']
  const calls: unknown[][] = []
  const next = ((...args: unknown[]) => {
    calls.push(args)
  }) as NextFunction
  gate(req, {} as Response, next)
  const syncCalls = calls.length
  // The middleware's immediate was queued first, so it has run when this one resolves.
  await new Promise((resolve) => setImmediate(resolve))
  return { req, syncCalls, calls }
}

function errorCode(args: unknown[] | undefined): string | undefined {
  const error = args?.[0]
  return isAuthError(error) ? error.code : undefined
}

describe('yieldAfterVerification', () => {
  it('calls next() from setImmediate after a fresh token passes its signature check', async () => {
    const gate = authenticate(base)
    const result = await call(gate, `Bearer ${await sign(ed25519.privateKey)}`)
    expect(result.syncCalls).toBe(0)
    expect(result.calls).toEqual([[]])
    expect(result.req.auth?.subject).toBe('alice')
  })

  it('calls next() at once for a token served from the cache', async () => {
    const gate = authenticate(base)
    const header = `Bearer ${await sign(ed25519.privateKey)}`
    // A token enters the cache on its second verification; the third request is a hit.
    await call(gate, header)
    await call(gate, header)
    expect(gate.authenticator.cacheSize).toBe(1)
    const hit = await call(gate, header)
    expect(hit.syncCalls).toBe(1)
    expect(hit.calls).toEqual([[]])
    expect(hit.req.auth?.subject).toBe('alice')
  })

  it('passes a failed signature check to next() from setImmediate, and sets no req.auth', async () => {
    const gate = authenticate(base)
    const result = await call(gate, `Bearer ${await sign(ed25519Other.privateKey)}`)
    expect(result.syncCalls).toBe(0)
    expect(result.calls).toHaveLength(1)
    expect(errorCode(result.calls[0])).toBe('ERR_AUTH_SIGNATURE_INVALID')
    expect(result.req.auth).toBeUndefined()
  })

  it.each([
    ['a malformed token', 'Bearer not-a-jwt', 'ERR_AUTH_TOKEN_MALFORMED'],
    ['a malformed header', 'Bearer a.b.c extra', 'ERR_AUTH_HEADER_MALFORMED'],
  ])('rejects %s at once: no signature was checked', async (_name, header, code) => {
    const gate = authenticate(base)
    const result = await call(gate, header)
    expect(result.syncCalls).toBe(1)
    expect(result.calls).toHaveLength(1)
    expect(errorCode(result.calls[0])).toBe(code)
  })

  it('rejects a token of an untrusted issuer at once', async () => {
    const gate = authenticate(base)
    const token = tamper(await sign(ed25519.privateKey), { payload: { iss: 'https://evil.test' } })
    const result = await call(gate, `Bearer ${token}`)
    expect(result.syncCalls).toBe(1)
    expect(errorCode(result.calls[0])).toBe('ERR_AUTH_ISSUER_UNTRUSTED')
  })

  it('calls next() at once after a check when set to false', async () => {
    const gate = authenticate({ ...base, yieldAfterVerification: false })
    const passed = await call(gate, `Bearer ${await sign(ed25519.privateKey)}`)
    expect(passed.syncCalls).toBe(1)
    expect(passed.req.auth?.subject).toBe('alice')
    const failed = await call(gate, `Bearer ${await sign(ed25519Other.privateKey)}`)
    expect(failed.syncCalls).toBe(1)
    expect(errorCode(failed.calls[0])).toBe('ERR_AUTH_SIGNATURE_INVALID')
  })

  it('is on by default, and true does the same', async () => {
    for (const gate of [
      authenticate(base),
      authenticate({ ...base, yieldAfterVerification: true }),
    ]) {
      const passed = await call(gate, `Bearer ${await sign(ed25519.privateKey)}`)
      expect(passed.syncCalls).toBe(0)
      expect(passed.calls).toEqual([[]])
    }
  })

  it('keeps the scheduling hooks off the public Authenticator', () => {
    const { authenticator } = authenticate(base)
    for (const name of [
      'authenticateNow',
      'signatureChecks',
      'yieldAfterVerification',
      'passCorsPreflight',
    ]) {
      expect(name in authenticator).toBe(false)
    }
  })
})
