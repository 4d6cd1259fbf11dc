/**
 * The RFC 9068 profile against a real OpenID Provider (oidc-provider on loopback): its JWT access
 * token passes, and a token of the same issuer, key and audience that is not typed as an access
 * token (an ID token, say) is refused before the handler runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import request from 'supertest'
import { SignJWT } from 'jose'
import { createTestApp } from '../helpers/app.js'
import { CLIENT_ID, startOidcProvider } from '../helpers/oidc-provider.js'
import type { OidcProvider } from '../helpers/oidc-provider.js'
import { expectRejected, invalidToken } from './expect.js'

const RESOURCE = 'https://api.example.org/'
let op: OidcProvider

beforeAll(async () => {
  op = await startOidcProvider({ resources: [RESOURCE] })
})
afterAll(async () => {
  await op.close()
})

function gate() {
  return createTestApp(
    {
      issuers: [
        {
          issuer: op.issuer,
          key: { jwksUrl: `${op.issuer}/jwks` },
          audience: RESOURCE,
          profile: 'rfc9068',
        },
      ],
    },
    { errorHandler: true },
  )
}

/** A token signed with the provider's own key, with every claim of an access token but `typ`. */
async function lookAlike(typ: string | undefined): Promise<string> {
  const { kid, privateKey } = op.key()
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ client_id: CLIENT_ID, scope: 'reports:read' })
    .setProtectedHeader({ alg: 'ES256', kid, ...(typ === undefined ? {} : { typ }) })
    .setIssuer(op.issuer)
    .setAudience(RESOURCE)
    .setSubject(CLIENT_ID)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .setJti('look-alike-1')
    .sign(privateKey)
}

describe('RFC 9068 profile with a real OpenID Provider', () => {
  it("accepts the provider's JWT access token", async () => {
    const app = gate()
    const token = await op.token({ resource: RESOURCE, scope: 'reports:read' })
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as {
      typ?: string
    }
    expect(header.typ?.toLowerCase()).toMatch(/^(application\/)?at\+jwt$/)
    const res = await request(app.app).get('/protected').set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(200)
    expect(res.body.auth).toMatchObject({ issuer: op.issuer, scopes: ['reports:read'] })
    expect(app.ran()).toBe(1)
  })

  it.each([
    ['typ JWT (an ID token)', 'JWT', "unexpected 'typ'"],
    ['no typ', undefined, "missing 'typ'"],
  ])('refuses a look-alike with %s, signed by the same key', async (_name, typ, description) => {
    const app = gate()
    const res = await request(app.app)
      .get('/protected')
      .set('Authorization', `Bearer ${await lookAlike(typ)}`)
    expectRejected(res, app, 401, 'ERR_AUTH_TOKEN_HEADER_INVALID', invalidToken(description))
  })

  it('accepts the same look-alike typed at+jwt (only the typ differs)', async () => {
    const app = gate()
    const res = await request(app.app)
      .get('/protected')
      .set('Authorization', `Bearer ${await lookAlike('at+jwt')}`)
    expect(res.status).toBe(200)
  })
})
