/**
 * The example app's `JWT_BACKCHANNEL_LOGOUT=true` with `JWT_CLIENT_ID`: `POST /backchannel-logout`
 * receives the real provider's logout token after the user signs out there, and the user's access
 * token is refused from then on. Each variable without the other is refused at start-up.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { parseAppConfig } from '../../example-app/app/config.js'
import { openApp } from '../../example-app/app/open.js'
import { ConfigError, type Env } from '../../example-app/shared/env.js'
import { LOGIN_CLIENT_ID, startLoginProvider } from '../helpers/oidc-login.js'

const API = 'https://api.example.test'
const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

function configError(env: Env): ConfigError {
  try {
    parseAppConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected a ConfigError')
}

const KEYS: Env = { JWT_ISSUER: 'https://op.example', JWT_JWKS_URL: 'https://op.example/jwks' }

describe('JWT_BACKCHANNEL_LOGOUT', () => {
  it('is off by default, and JWT_CLIENT_ID alone is refused', () => {
    expect(parseAppConfig(KEYS).backchannelLogout).toBeUndefined()
    const error = configError({ ...KEYS, JWT_CLIENT_ID: 'web' })
    expect(error.variable).toBe('JWT_CLIENT_ID')
    expect(error.message).toMatch(/JWT_BACKCHANNEL_LOGOUT=true/)
  })

  it('needs JWT_CLIENT_ID', () => {
    const error = configError({ ...KEYS, JWT_BACKCHANNEL_LOGOUT: 'true' })
    expect(error.variable).toBe('JWT_CLIENT_ID')
    expect(configError({ ...KEYS, JWT_BACKCHANNEL_LOGOUT: 'maybe' }).variable).toBe(
      'JWT_BACKCHANNEL_LOGOUT',
    )
  })

  it('a sign-out at the provider reaches the app, which refuses the token from then on', async () => {
    // The app's address goes into the provider's client registration before the app exists.
    let handler = (_req: IncomingMessage, res: ServerResponse): void => void res.end()
    const server = createServer((req, res) => handler(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanup.push(() => new Promise((resolve) => server.close(resolve)))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const op = await startLoginProvider({
      resource: API,
      backchannelLogoutUri: `${url}/backchannel-logout`,
    })
    cleanup.push(() => op.close())
    const config = parseAppConfig({
      JWT_ISSUER: op.issuer,
      JWT_JWKS_URL: `${op.issuer}/jwks`,
      JWT_AUDIENCE: API,
      JWT_TOKEN_PROFILE: 'rfc9068',
      JWT_BACKCHANNEL_LOGOUT: 'true',
      JWT_CLIENT_ID: LOGIN_CLIENT_ID,
    })
    const example = await openApp(config)
    cleanup.push(() => example.close())
    handler = example.app

    const login = await op.login({ user: 'ines' })
    const me = () =>
      request(server).get('/api/me').set('Authorization', `Bearer ${login.accessToken}`)
    expect((await me()).status).toBe(200)
    await op.endSession(login)
    expect(op.deliveries).toEqual(['ok'])
    const refused = await me()
    expect(refused.status).toBe(401)
    expect((refused.body as { code: string }).code).toBe('ERR_AUTH_TOKEN_REVOKED')

    const bad = await request(server)
      .post('/backchannel-logout')
      .type('form')
      .send({ logout_token: 'not-a-token' })
    expect(bad.status).toBe(400)
    expect(bad.body).toEqual({ error: 'invalid_request', error_description: 'malformed token' })
  })
})
