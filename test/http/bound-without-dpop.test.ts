/**
 * A DPoP-bound token (`cnf.jkt`, RFC 9449 §6.1) at a gate without the `dpop` option: the gate
 * checks no proofs, so it cannot tell the key's holder from a thief, and refuses the token rather
 * than take it as a bearer token (as it never takes a certificate-bound token without its
 * certificate). A `jkt` that is not a thumbprint string is refused, never read as "not bound".
 */
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createTestApp } from '../helpers/app.js'
import { ed25519 } from '../helpers/keys.js'
import { ISSUER, clock, sign } from '../helpers/tokens.js'

const options = { issuers: [{ issuer: ISSUER, key: { pem: ed25519.publicPem } }], clock }
const JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I'

async function answer(cnf: unknown) {
  const testApp = createTestApp(options, { errorHandler: true })
  const token = await sign(ed25519.privateKey, { claims: { cnf } })
  const res = await request(testApp.app).get('/protected').set('Authorization', `Bearer ${token}`)
  return { res, ran: testApp.ran() }
}

describe('a DPoP-bound token at a gate without dpop', () => {
  it('is refused as a bearer token: 401 ERR_AUTH_DPOP_REQUIRED, handler not run', async () => {
    const { res, ran } = await answer({ jkt: JKT })
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/)
    expect(res.body.code).toBe('ERR_AUTH_DPOP_REQUIRED')
    expect(ran).toBe(0)
  })

  it.each([[42], [''], [null], [['a']]])('refuses cnf.jkt %j as malformed claims', async (jkt) => {
    const { res, ran } = await answer({ jkt })
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/)
    expect(res.body.code).toBe('ERR_AUTH_CLAIMS_INVALID')
    expect(ran).toBe(0)
  })

  it('passes a token whose cnf binds no DPoP key, and one without cnf (controls)', async () => {
    for (const cnf of [{}, undefined]) {
      const { res, ran } = await answer(cnf)
      expect(res.status).toBe(200)
      expect(ran).toBe(1)
    }
  })
})
