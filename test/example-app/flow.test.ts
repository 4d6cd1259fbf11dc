import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExampleApp } from '../../example-app/app/app.js'
import { parseAppConfig } from '../../example-app/app/config.js'
import { openApp, type OpenAppOverrides } from '../../example-app/app/open.js'
import type { OpenAuthApi } from '../../example-app/auth-api/open.js'
import { rawPublicKeyBase64 } from '../../example-app/shared/ed25519.js'
import type { Env } from '../../example-app/shared/env.js'
import {
  authApiConfig,
  ISSUER,
  keyPair,
  openSeededAuthApi,
  PASSWORDS,
  setCookie,
  tempDir,
} from './helpers.js'

const LOGIN_URL = 'http://auth.example.test/login'

let dir: ReturnType<typeof tempDir>
let authConfig: ReturnType<typeof authApiConfig>
let authApi: OpenAuthApi
let example: ExampleApp
const opened: ExampleApp[] = []

/** The app trusting the AuthAPI through `JWT_PUBLIC_KEY`, plus `env`. */
async function appWith(env: Env = {}, overrides: OpenAppOverrides = {}): Promise<ExampleApp> {
  const config = parseAppConfig({
    JWT_ISSUER: ISSUER,
    JWT_PUBLIC_KEY: rawPublicKeyBase64(authConfig.publicKey),
    AUTH_LOGIN_URL: LOGIN_URL,
    ...env,
  })
  const app = await openApp(config, overrides)
  opened.push(app)
  return app
}

/** Logs in at the AuthAPI and returns the `name=value` cookie pair it set. */
async function loginCookie(
  username: keyof typeof PASSWORDS,
  api: OpenAuthApi = authApi,
): Promise<string> {
  const res = await request(api.app)
    .post('/api/login')
    .send({ username, password: PASSWORDS[username] })
    .expect(200)
  const cookie = setCookie(res.headers, 'access_cc')
  if (cookie === undefined) throw new Error('no cookie set')
  return cookie.split(';')[0]!
}

beforeAll(async () => {
  dir = tempDir()
  authConfig = authApiConfig(dir.dir)
  authApi = await openSeededAuthApi(authConfig)
  example = await appWith()
})
afterAll(async () => {
  await Promise.all(opened.map((app) => app.close()))
  authApi.close()
  dir.remove()
})

describe('the cookie flow', () => {
  it('carries the AuthAPI cookie to the app and answers GET /api/me', async () => {
    const cookie = await loginCookie('alice')
    const res = await request(example.app).get('/api/me').set('Cookie', cookie).expect(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body).toEqual({
      sub: 'alice',
      iss: ISSUER,
      roles: ['user'],
      scopes: [],
      source: 'cookie',
      claims: {
        iss: ISSUER,
        sub: 'alice',
        roles: ['user'],
        name: 'Alice Example',
        iat: expect.any(Number),
        nbf: expect.any(Number),
        exp: expect.any(Number),
        jti: expect.any(String),
      },
    })
    expect(res.body.claims.exp - res.body.claims.iat).toBe(900)
  })

  it('accepts the JSON login token as a bearer header', async () => {
    const login = await request(authApi.app)
      .post('/api/login')
      .send({ username: 'admin', password: PASSWORDS.admin })
    const res = await request(example.app)
      .get('/api/me')
      .set('Authorization', `Bearer ${login.body.access_token}`)
      .expect(200)
    expect(res.body).toMatchObject({ sub: 'admin', roles: ['admin', 'user'], source: 'header' })
  })

  it('answers 401 with a problem document and a challenge without a token', async () => {
    const res = await request(example.app).get('/api/me').expect(401)
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"')
    expect(res.body).toEqual({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: 'no credentials provided',
      code: 'ERR_AUTH_TOKEN_MISSING',
    })
  })
})

describe('the admin guard', () => {
  it('answers 403 insufficient_scope for alice', async () => {
    const res = await request(example.app)
      .get('/api/admin')
      .set('Cookie', await loginCookie('alice'))
      .expect(403)
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="api", error="insufficient_scope", error_description="[^"]+"$/,
    )
    expect(res.body).toMatchObject({
      status: 403,
      code: 'ERR_AUTH_ROLE_INSUFFICIENT',
      error: 'insufficient_scope',
    })
    expect(res.body).not.toHaveProperty('admin')
  })

  it('lets admin in', async () => {
    const res = await request(example.app)
      .get('/api/admin')
      .set('Cookie', await loginCookie('admin'))
      .expect(200)
    expect(res.body).toEqual({ sub: 'admin', admin: true })
  })

  it('shows a 403 page on /admin for alice and the admin page for admin', async () => {
    const denied = await request(example.app)
      .get('/admin')
      .set('Cookie', await loginCookie('alice'))
      .expect(403)
    expect(denied.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(denied.text).toContain('403: access denied')
    expect(denied.text).toMatch(/this page needs\s+the role &quot;admin&quot;\./)
    expect(denied.text).not.toContain('Admin area')
    const allowed = await request(example.app)
      .get('/admin')
      .set('Cookie', await loginCookie('admin'))
      .expect(200)
    expect(allowed.text).toContain('Admin area')
  })
})

describe('HTML pages', () => {
  it('redirects an unauthenticated browser to the AuthAPI login with a way back', async () => {
    const res = await request(example.app)
      .get('/me?tab=claims')
      .set('Host', 'app.example.test')
      .expect(302)
    expect(res.headers['location']).toBe(
      `${LOGIN_URL}?redirect=${encodeURIComponent('http://app.example.test/me?tab=claims')}`,
    )
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('uses APP_PUBLIC_URL for the way back when set', async () => {
    const app = await appWith({ APP_PUBLIC_URL: 'https://app.example.org/' })
    const res = await request(app.app).get('/admin').expect(302)
    expect(res.headers['location']).toBe(
      `${LOGIN_URL}?redirect=${encodeURIComponent('https://app.example.org/admin')}`,
    )
  })

  it('shows who is signed in on / and /me, escaping the claims', async () => {
    await authApi.users.putUser({
      username: 'mallory',
      password: 'mallory-password',
      roles: ['<b>x</b>'],
      name: '<script>alert(1)</script>',
    })
    const res = await request(authApi.app)
      .post('/api/login')
      .send({ username: 'mallory', password: 'mallory-password' })
    const cookie = setCookie(res.headers, 'access_cc')!.split(';')[0]!
    const home = await request(example.app).get('/').set('Cookie', cookie).expect(200)
    expect(home.text).toContain('Hello, &lt;script&gt;alert(1)&lt;/script&gt;')
    const me = await request(example.app).get('/me').set('Cookie', cookie).expect(200)
    expect(me.text).toContain('<span data-testid="subject">mallory</span>')
    expect(me.text).toContain('<span class="badge">&lt;b&gt;x&lt;/b&gt;</span>')
    expect(me.text).not.toContain('<script>')
    expect(me.text).not.toContain('<b>x</b>')
    expect(me.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self' http://auth.example.test; frame-ancestors 'none'; base-uri 'none'",
    )
    // The sign-out form posts to the AuthAPI, whose CSRF check needs the app's Origin, which
    // browsers replace with "null" under no-referrer (issue 21, point 9b).
    expect(me.headers['referrer-policy']).toBe('strict-origin')
  })

  it('shows a sign-in link on / when signed out', async () => {
    const res = await request(example.app).get('/').set('Host', 'app.example.test').expect(200)
    expect(res.text).toContain('You are not signed in.')
    expect(res.text).toContain(
      `href="${LOGIN_URL}?redirect=${encodeURIComponent('http://app.example.test/')}"`,
    )
  })
})

describe('logout', () => {
  it('clears the cookie so that the app no longer sees a token', async () => {
    const cookie = await loginCookie('alice')
    await request(example.app).get('/api/me').set('Cookie', cookie).expect(200)
    const res = await request(authApi.app).post('/api/logout').set('Cookie', cookie).expect(204)
    const cleared = setCookie(res.headers, 'access_cc')!.split(';')[0]!
    expect(cleared).toBe('access_cc=')
    const after = await request(example.app).get('/api/me').set('Cookie', cleared).expect(401)
    expect(after.body.code).toBe('ERR_AUTH_TOKEN_MISSING')
  })
})

describe('rejected tokens', () => {
  it('rejects an expired token (fixed clock past exp) and sends the browser to log in', async () => {
    const cookie = await loginCookie('alice')
    const later = await appWith({}, { clock: () => new Date(Date.now() + 16 * 60_000) })
    const res = await request(later.app).get('/api/me').set('Cookie', cookie).expect(401)
    expect(res.body.code).toBe('ERR_AUTH_TOKEN_EXPIRED')
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/,
    )
    const page = await request(later.app).get('/me').set('Cookie', cookie).expect(302)
    expect(page.headers['location']).toMatch(/^http:\/\/auth\.example\.test\/login\?redirect=/)
  })

  it('rejects a token signed by a key the app does not trust', async () => {
    const rogue = keyPair()
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject('admin')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(rogue.privateKey)
    const res = await request(example.app)
      .get('/api/admin')
      .set('Cookie', `access_cc=${token}`)
      .expect(401)
    expect(res.body).toMatchObject({
      status: 401,
      code: 'ERR_AUTH_SIGNATURE_INVALID',
      error: 'invalid_token',
    })
  })

  it('rejects the cookie of another AuthAPI with its own key', async () => {
    const otherDir = tempDir()
    const other = await openSeededAuthApi(authApiConfig(otherDir.dir))
    try {
      const res = await request(example.app)
        .get('/api/me')
        .set('Cookie', await loginCookie('alice', other))
        .expect(401)
      expect(res.body.code).toBe('ERR_AUTH_SIGNATURE_INVALID')
    } finally {
      other.close()
      otherDir.remove()
    }
  })
})

describe('key from the AuthAPI JWKS endpoint', () => {
  it('verifies tokens with keys fetched from JWT_JWKS_URL', async () => {
    const server = authApi.app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const { port } = server.address() as { port: number }
      const app = await appWith({
        JWT_PUBLIC_KEY: '',
        JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      })
      const res = await request(app.app)
        .get('/api/me')
        .set('Cookie', await loginCookie('admin'))
        .expect(200)
      expect(res.body).toMatchObject({ sub: 'admin', roles: ['admin', 'user'] })
    } finally {
      server.close()
    }
  })
})

describe('user check (JWT_VALIDATE_USERS) with SQLite', () => {
  it('takes roles from USERS_FILE, and refuses disabled and unknown users', async () => {
    const usersFile = join(dir.dir, 'app-users.json')
    writeFileSync(
      usersFile,
      JSON.stringify([
        { username: 'alice', roles: ['user', 'auditor'], name: 'Alice from the DB' },
        { username: 'admin', roles: ['admin'], disabled: true },
      ]),
    )
    const app = await appWith({
      JWT_VALIDATE_USERS: 'true',
      USERS_DB: join(dir.dir, 'app-users.sqlite'),
      USERS_FILE: usersFile,
    })
    const alice = await request(app.app)
      .get('/api/me')
      .set('Cookie', await loginCookie('alice'))
      .expect(200)
    expect(alice.body.roles).toEqual(['user', 'auditor'])
    expect(alice.body.user).toEqual({
      username: 'alice',
      roles: ['user', 'auditor'],
      disabled: false,
      name: 'Alice from the DB',
    })
    const admin = await request(app.app)
      .get('/api/admin')
      .set('Cookie', await loginCookie('admin'))
      .expect(401)
    expect(admin.body.code).toBe('ERR_AUTH_USER_DISABLED')
    await authApi.users.putUser({ username: 'dave', password: 'dave-password', roles: ['admin'] })
    const login = await request(authApi.app)
      .post('/api/login')
      .send({ username: 'dave', password: 'dave-password' })
    const dave = await request(app.app)
      .get('/api/me')
      .set('Authorization', `Bearer ${login.body.access_token}`)
      .expect(401)
    expect(dave.body.code).toBe('ERR_AUTH_USER_UNKNOWN')
  })
})

describe('ClusterCockpit config.json', () => {
  it('honours jwts.cookieName, trustedExternalIssuer and max-age, with the keys from the environment', async () => {
    const ccDir = tempDir()
    const ccConfig = authApiConfig(ccDir.dir, {
      cookie: { name: 'cc-jwt', domain: undefined, secure: 'auto' },
      ttlSeconds: 7200,
    })
    const ccAuth = await openSeededAuthApi(ccConfig)
    const local = keyPair()
    const configFile = join(ccDir.dir, 'config.json')
    writeFileSync(
      configFile,
      JSON.stringify({
        addr: '127.0.0.1:8080',
        jwts: { cookieName: 'cc-jwt', trustedExternalIssuer: ISSUER, 'max-age': '1h' },
      }),
    )
    const config = parseAppConfig({
      CONFIG_FILE: configFile,
      CROSS_LOGIN_JWT_PUBLIC_KEY: rawPublicKeyBase64(ccConfig.publicKey),
      JWT_PUBLIC_KEY: local.publicKeyBase64,
      AUTH_LOGIN_URL: LOGIN_URL,
    })
    const app = await openApp(config)
    const later = await openApp(config, { clock: () => new Date(Date.now() + 90 * 60_000) })
    opened.push(app, later)
    try {
      const login = await request(ccAuth.app)
        .post('/api/login')
        .send({ username: 'alice', password: PASSWORDS.alice })
        .expect(200)
      const cookie = setCookie(login.headers, 'cc-jwt')!.split(';')[0]!
      const me = await request(app.app).get('/api/me').set('Cookie', cookie).expect(200)
      expect(me.body).toMatchObject({
        sub: 'alice',
        iss: ISSUER,
        roles: ['user'],
        source: 'cookie',
      })

      // The default cookie name is not read any more.
      const renamed = cookie.replace(/^cc-jwt=/, 'access_cc=')
      const missing = await request(app.app).get('/api/me').set('Cookie', renamed).expect(401)
      expect(missing.body.code).toBe('ERR_AUTH_TOKEN_MISSING')

      // ClusterCockpit's own tokens carry no iss and are signed with JWT_PUBLIC_KEY's pair.
      const now = Math.floor(Date.now() / 1000)
      const localToken = await new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'EdDSA' })
        .setSubject('ccadmin')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(local.privateKey)
      const localMe = await request(app.app)
        .get('/api/me')
        .set('Authorization', `Bearer ${localToken}`)
        .expect(200)
      expect(localMe.body).toMatchObject({ sub: 'ccadmin', iss: null, roles: ['admin'] })

      // The local key cannot speak for the trusted issuer.
      const forged = await new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'EdDSA' })
        .setIssuer(ISSUER)
        .setSubject('ccadmin')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(local.privateKey)
      const refused = await request(app.app)
        .get('/api/me')
        .set('Authorization', `Bearer ${forged}`)
        .expect(401)
      expect(refused.body.code).toBe('ERR_AUTH_SIGNATURE_INVALID')

      // max-age "1h": a two-hour token is refused after 90 minutes although it has not expired.
      const old = await request(later.app).get('/api/me').set('Cookie', cookie).expect(401)
      expect(old.body.code).toBe('ERR_AUTH_TOKEN_TOO_OLD')
    } finally {
      ccAuth.close()
      ccDir.remove()
    }
  })
})
