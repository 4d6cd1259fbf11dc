/**
 * The example app's JWT_RESOURCE (issue 23): the metadata documents it serves, the
 * `resource_metadata` parameter of its API's challenges, the resource as the tokens' audience
 * unless JWT_AUDIENCE is set, and GET /api/reports behind the scope `reports:read`.
 */
import { SignJWT } from 'jose'
import request from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import type { ExampleApp } from '../../example-app/app/app.js'
import { parseAppConfig } from '../../example-app/app/config.js'
import { openApp } from '../../example-app/app/open.js'
import { rawPublicKeyBase64 } from '../../example-app/shared/ed25519.js'
import type { ConfigError } from '../../example-app/shared/env.js'
import { type Env } from '../../example-app/shared/env.js'
import { ISSUER, keyPair } from './helpers.js'

const RESOURCE = 'https://app.example.test/api'
const METADATA_PATH = '/.well-known/oauth-protected-resource/api'
const signer = keyPair()
const opened: ExampleApp[] = []
afterAll(async () => Promise.all(opened.map((app) => app.close())))

async function appWith(env: Env): Promise<ExampleApp> {
  const app = await openApp(
    parseAppConfig({
      JWT_ISSUER: ISSUER,
      JWT_PUBLIC_KEY: rawPublicKeyBase64(signer.publicKey),
      ...env,
    }),
  )
  opened.push(app)
  return app
}

async function token(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject('alice')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(signer.privateKey)
}

describe('the example app with JWT_RESOURCE', () => {
  it('serves the metadata, listing the issuer and the scope of /api/reports', async () => {
    const { app } = await appWith({ JWT_RESOURCE: RESOURCE })
    const res = await request(app).get(METADATA_PATH).expect(200)
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(res.body).toMatchObject({
      resource: RESOURCE,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
    })
    expect(res.body.scopes_supported).toContain('reports:read')
  })

  it('names the metadata in the API challenges and requires the resource in aud', async () => {
    const { app } = await appWith({ JWT_RESOURCE: RESOURCE })
    const parameter = `resource_metadata="https://app.example.test${METADATA_PATH}"`
    const none = await request(app).get('/api/me').expect(401)
    expect(none.headers['www-authenticate']).toContain(parameter)
    const other = await token({ aud: 'https://other.example.test/api', scope: 'reports:read' })
    const refused = await request(app).get('/api/reports').set('Authorization', `Bearer ${other}`)
    expect(refused.status).toBe(401)
    expect(refused.body.code).toBe('ERR_AUTH_AUDIENCE_INVALID')
    const noScope = await token({ aud: RESOURCE })
    const forbidden = await request(app)
      .get('/api/reports')
      .set('Authorization', `Bearer ${noScope}`)
    expect(forbidden.status).toBe(403)
    expect(forbidden.headers['www-authenticate']).toContain(parameter)
    expect(forbidden.headers['www-authenticate']).toContain('scope="reports:read"')
    const good = await token({ aud: RESOURCE, scope: 'reports:read' })
    const ok = await request(app).get('/api/reports').set('Authorization', `Bearer ${good}`)
    expect(ok.status).toBe(200)
    expect(ok.body).toEqual({ sub: 'alice', reports: [] })
  })

  it('JWT_AUDIENCE wins over the resource', async () => {
    const { app } = await appWith({ JWT_RESOURCE: RESOURCE, JWT_AUDIENCE: 'jobs-api' })
    const forAudience = await token({ aud: 'jobs-api', scope: 'reports:read' })
    await request(app).get('/api/reports').set('Authorization', `Bearer ${forAudience}`).expect(200)
    const forResource = await token({ aud: RESOURCE, scope: 'reports:read' })
    await request(app).get('/api/reports').set('Authorization', `Bearer ${forResource}`).expect(401)
  })

  it('without JWT_RESOURCE: no metadata, no parameter, /api/reports still guarded', async () => {
    const { app } = await appWith({})
    await request(app).get(METADATA_PATH).expect(404)
    const none = await request(app).get('/api/reports').expect(401)
    expect(none.headers['www-authenticate']).not.toContain('resource_metadata')
  })

  it.each(['http://app.example.test/api', 'https://app.example.test/api#x', 'api'])(
    'refuses JWT_RESOURCE=%s naming the variable',
    (resource) => {
      expect(() =>
        parseAppConfig({
          JWT_ISSUER: ISSUER,
          JWT_PUBLIC_KEY: rawPublicKeyBase64(signer.publicKey),
          JWT_RESOURCE: resource,
        }),
      ).toThrow(expect.objectContaining({ variable: 'JWT_RESOURCE' }) as ConfigError)
    },
  )
})
