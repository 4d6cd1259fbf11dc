/**
 * Header names are case-insensitive (RFC 9110 §5.1). Node lower-cases them on `req.headers`, but a
 * hand-built header record (an API-gateway event) keeps the client's casing: the framework-free
 * authenticator finds `Authorization`, `Cookie` and the CSRF headers whatever their case, and takes
 * two names differing only in case for a repeated header (400).
 */
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'
import { ed25519, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'

const options: AuthenticateOptions = {
  issuers: [{ issuer: ISSUER, key: { ed25519: rawEd25519Base64(ed25519) } }],
  clock,
}
const cookieOptions: AuthenticateOptions = {
  ...options,
  cookie: { name: 'session' },
  csrf: true,
}
const token = () => sign(ed25519.privateKey)
const ambiguous = expect.objectContaining({ code: 'ERR_AUTH_CREDENTIALS_AMBIGUOUS', status: 400 })

describe('the framework-free authenticator reads header names in any case', () => {
  it.each(['Authorization', 'AUTHORIZATION', 'authoriZation'])('finds %s', async (name) => {
    const gate = createAuthenticator(options)
    const auth = await gate.authenticate({ headers: { [name]: `Bearer ${await token()}` } })
    expect(auth?.subject).toBe('alice')
  })

  it('finds a Cookie header of any case', async () => {
    const gate = createAuthenticator(cookieOptions)
    const auth = await gate.authenticate({
      method: 'GET',
      headers: { Cookie: `theme=dark; session=${await token()}` },
    })
    expect(auth?.source).toBe('cookie')
  })

  it.each([
    ['authorization', 'Authorization'],
    ['Authorization', 'AUTHORIZATION'],
  ])('rejects %s and %s together as a repeated header', async (first, second) => {
    const gate = createAuthenticator(options)
    const bearer = `Bearer ${await token()}`
    await expect(
      gate.authenticate({ headers: { [first]: bearer, [second]: bearer } }),
    ).rejects.toEqual(ambiguous)
  })

  it('rejects cookie and Cookie together as a repeated header', async () => {
    const gate = createAuthenticator(cookieOptions)
    const pair = `session=${await token()}`
    await expect(
      gate.authenticate({ method: 'GET', headers: { cookie: pair, Cookie: pair } }),
    ).rejects.toEqual(ambiguous)
  })

  it('applies the CSRF check to an Origin header of any case', async () => {
    const gate = createAuthenticator(cookieOptions)
    const headers = { Cookie: `session=${await token()}`, Host: 'app.example.org' }
    await expect(
      gate.authenticate({
        method: 'POST',
        headers: { ...headers, Origin: 'https://evil.example' },
      }),
    ).rejects.toEqual(expect.objectContaining({ code: 'ERR_AUTH_CSRF_REJECTED', status: 403 }))
    await expect(
      gate.authenticate({
        method: 'POST',
        headers: { ...headers, 'Sec-Fetch-Site': 'cross-site' },
      }),
    ).rejects.toEqual(expect.objectContaining({ code: 'ERR_AUTH_CSRF_REJECTED' }))
    const sameOrigin = await gate.authenticate({
      method: 'POST',
      headers: { ...headers, Origin: 'https://app.example.org' },
    })
    expect(sameOrigin?.subject).toBe('alice')
  })

  it('answers 401 when no such header exists in any case', async () => {
    const gate = createAuthenticator(options)
    await expect(gate.authenticate({ headers: { Accept: 'application/json' } })).rejects.toEqual(
      expect.objectContaining({ code: 'ERR_AUTH_TOKEN_MISSING', status: 401 }),
    )
  })
})
