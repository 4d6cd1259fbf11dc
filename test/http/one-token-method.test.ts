/**
 * RFC 6750 §2: a request sends its token by one method. With a custom extractor, a token it finds
 * beside a token of the Authorization header or of the token cookie is a 400 `invalid_request`,
 * whether the two tokens are the same or not.
 */
import { describe, expect, it } from 'vitest'
import request from 'supertest'
import type { AuthenticateOptions } from '../../src/index.js'
import { createTestApp } from '../helpers/app.js'
import { ed25519, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'
import { expectRejected } from './expect.js'

const key = { ed25519: rawEd25519Base64(ed25519) }

/** A gate reading the header and the `access_cc` cookie, and `?access_token=` by an extractor. */
function gate(extra: Partial<AuthenticateOptions> = {}) {
  return createTestApp(
    {
      issuers: [{ issuer: ISSUER, key, audience: false }],
      cookie: { name: 'access_cc' },
      extractToken: (req) => {
        const value = (req.query as Record<string, unknown> | undefined)?.access_token
        return typeof value === 'string' ? value : undefined
      },
      clock,
      ...extra,
    },
    { errorHandler: true },
  )
}

const challenge = (source: string): string =>
  'Bearer realm="api", error="invalid_request", ' +
  `error_description="the custom extractor and the ${source} both carry a token"`

describe('one token method per request, with a custom extractor', () => {
  it('accepts the extractor alone, recording the custom source', async () => {
    const app = gate()
    const token = await sign(ed25519.privateKey)
    const res = await request(app.app).get('/protected').query({ access_token: token })
    expect(res.status).toBe(200)
    expect(res.body.auth.source).toBe('custom')
    expect(app.ran()).toBe(1)
  })

  it('accepts the header alone while an extractor is configured', async () => {
    const app = gate()
    const token = await sign(ed25519.privateKey)
    const res = await request(app.app).get('/protected').set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(200)
    expect(res.body.auth.source).toBe('header')
  })

  it('accepts an async extractor alone', async () => {
    const token = await sign(ed25519.privateKey)
    const app = gate({
      extractToken: async (req) => Promise.resolve(req.headers['x-token'] as string),
    })
    const res = await request(app.app).get('/protected').set('X-Token', token)
    expect(res.status).toBe(200)
    expect(res.body.auth.source).toBe('custom')
  })

  for (const same of [true, false]) {
    const kind = same ? 'the same token' : 'another token'

    it(`refuses the extractor's token beside ${kind} in the Authorization header`, async () => {
      const app = gate()
      const token = await sign(ed25519.privateKey)
      const other = same ? token : await sign(ed25519.privateKey, { claims: { sub: 'bob' } })
      const res = await request(app.app)
        .get('/protected')
        .query({ access_token: token })
        .set('Authorization', `Bearer ${other}`)
      expectRejected(
        res,
        app,
        400,
        'ERR_AUTH_CREDENTIALS_AMBIGUOUS',
        challenge('Authorization header'),
      )
    })

    it(`refuses the extractor's token beside ${kind} in the token cookie`, async () => {
      const app = gate()
      const token = await sign(ed25519.privateKey)
      const other = same ? token : await sign(ed25519.privateKey, { claims: { sub: 'bob' } })
      const res = await request(app.app)
        .get('/protected')
        .query({ access_token: token })
        .set('Cookie', `access_cc=${other}`)
      expectRejected(res, app, 400, 'ERR_AUTH_CREDENTIALS_AMBIGUOUS', challenge('token cookie'))
    })
  }

  it('refuses it whichever source the conflict rule prefers', async () => {
    const app = gate({ conflict: 'prefer-cookie' })
    const token = await sign(ed25519.privateKey)
    const other = await sign(ed25519.privateKey, { claims: { sub: 'bob' } })
    const res = await request(app.app)
      .get('/protected')
      .query({ access_token: token })
      .set('Authorization', `Bearer ${other}`)
      .set('Cookie', `access_cc=${other}x`)
    expectRejected(res, app, 400, 'ERR_AUTH_CREDENTIALS_AMBIGUOUS', challenge('token cookie'))
  })
})
