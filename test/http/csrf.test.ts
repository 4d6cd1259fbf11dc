import { describe, expect, it } from 'vitest'
import request from 'supertest'
import express from 'express'
import cookieParser from 'cookie-parser'
import { authenticate, authErrorHandler, AuthConfigError } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'
import { ed25519, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'

function app(csrf: AuthenticateOptions['csrf']) {
  const state = { ran: 0 }
  const a = express()
  a.use(cookieParser())
  a.use(
    authenticate({
      issuers: [{ issuer: ISSUER, key: { ed25519: rawEd25519Base64(ed25519) } }],
      cookie: { name: 'access_cc' },
      clock,
      ...(csrf === undefined ? {} : { csrf }),
    }),
  )
  a.all('/action', (_req, res) => {
    state.ran++
    res.json({ ok: true })
  })
  a.use(authErrorHandler())
  return { a, state }
}

describe('CSRF protection for cookie-borne tokens', () => {
  it.each([
    ['a cross-site POST (Sec-Fetch-Site)', { 'Sec-Fetch-Site': 'cross-site' }],
    [
      'a same-site POST from a sibling origin',
      { 'Sec-Fetch-Site': 'same-site', Origin: 'https://evil.example.org' },
    ],
    ['a POST with a foreign Origin', { Origin: 'https://evil.example' }],
    ['a POST with Origin null', { Origin: 'null' }],
  ])('refuses %s with 403', async (_name, headers) => {
    const { a, state } = app(true)
    const token = await sign(ed25519.privateKey)
    const res = await request(a).post('/action').set('Cookie', `access_cc=${token}`).set(headers)
    expect(res.status).toBe(403)
    expect(res.body.code).toBe('ERR_AUTH_CSRF_REJECTED')
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"')
    expect(state.ran).toBe(0)
  })

  it.each([
    ['a same-origin POST', { 'Sec-Fetch-Site': 'same-origin' }],
    ['a POST whose Origin matches the Host', { Origin: 'http://app.test', Host: 'app.test' }],
    [
      'a POST from a trusted origin',
      { 'Sec-Fetch-Site': 'same-site', Origin: 'https://admin.example.org' },
    ],
    ['a POST from a non-browser client (no Origin, no Sec-Fetch-Site)', {}],
  ])('allows %s', async (_name, headers) => {
    const { a, state } = app({ trustedOrigins: ['https://admin.example.org'] })
    const token = await sign(ed25519.privateKey)
    const res = await request(a).post('/action').set('Cookie', `access_cc=${token}`).set(headers)
    expect(res.status).toBe(200)
    expect(state.ran).toBe(1)
  })

  it('never checks safe methods or header-borne tokens', async () => {
    const { a, state } = app(true)
    const token = await sign(ed25519.privateKey)
    const get = await request(a)
      .get('/action')
      .set('Cookie', `access_cc=${token}`)
      .set('Sec-Fetch-Site', 'cross-site')
    const bearer = await request(a)
      .post('/action')
      .set('Authorization', `Bearer ${token}`)
      .set('Sec-Fetch-Site', 'cross-site')
    expect([get.status, bearer.status]).toEqual([200, 200])
    expect(state.ran).toBe(2)
  })

  it('is off by default', async () => {
    const { a } = app(undefined)
    const token = await sign(ed25519.privateKey)
    const res = await request(a)
      .post('/action')
      .set('Cookie', `access_cc=${token}`)
      .set('Sec-Fetch-Site', 'cross-site')
    expect(res.status).toBe(200)
  })

  it('refuses trusted origins that are not origins at start-up', () => {
    expect(() => app({ trustedOrigins: ['https://a.example/path'] })).toThrow(AuthConfigError)
  })
})
