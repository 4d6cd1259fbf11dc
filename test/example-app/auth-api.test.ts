import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLoginLimiter } from '../../example-app/auth-api/login-limiter.js'
import type { OpenAuthApi } from '../../example-app/auth-api/open.js'
import {
  APP_ORIGIN,
  authApiConfig,
  ISSUER,
  openSeededAuthApi,
  PASSWORDS,
  setCookie,
  tempDir,
} from './helpers.js'

const NOW = new Date('2026-11-22T10:00:00Z')
const NOW_S = NOW.getTime() / 1000

let dir: ReturnType<typeof tempDir>
let api: OpenAuthApi

beforeEach(async () => {
  dir = tempDir()
  api = await openSeededAuthApi(authApiConfig(dir.dir), { clock: () => NOW })
})
afterEach(() => {
  api.close()
  dir.remove()
})

describe('JSON login', () => {
  it('returns a signed EdDSA token with the registered claims and sets it as a cookie', async () => {
    const res = await request(api.app)
      .post('/api/login')
      .send({ username: 'alice', password: PASSWORDS.alice })
      .expect(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      expires_at: NOW_S + 900,
    })
    const jwks = (await request(api.app).get('/.well-known/jwks.json').expect(200)).body
    const { payload, protectedHeader } = await jwtVerify(
      res.body.access_token,
      createLocalJWKSet(jwks),
      {
        algorithms: ['EdDSA'],
        issuer: ISSUER,
        currentDate: NOW,
      },
    )
    expect(protectedHeader).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: jwks.keys[0].kid })
    expect(payload).toEqual({
      iss: ISSUER,
      sub: 'alice',
      roles: ['user'],
      name: 'Alice Example',
      iat: NOW_S,
      nbf: NOW_S,
      exp: NOW_S + 900,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    })
    const cookie = setCookie(res.headers, 'access_cc')
    const token = res.body.access_token.replaceAll('.', '\\.')
    expect(cookie).toMatch(
      new RegExp(
        `^access_cc=${token}; Max-Age=900; Path=/; Expires=[^;]+ GMT; HttpOnly; SameSite=Lax$`,
      ),
    )
    expect(cookie).not.toMatch(/Secure/)
  })

  it('gives every token its own jti', async () => {
    const login = () =>
      request(api.app).post('/api/login').send({ username: 'admin', password: PASSWORDS.admin })
    const [a, b] = await Promise.all([login(), login()])
    const claims = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
    expect(claims(a.body.access_token).jti).not.toBe(claims(b.body.access_token).jti)
    expect(claims(a.body.access_token).roles).toEqual(['admin', 'user'])
  })

  it.each([
    ['a wrong password', { username: 'alice', password: 'nope' }],
    ['an unknown user', { username: 'mallory', password: PASSWORDS.alice }],
    ['a disabled user', { username: 'carol', password: PASSWORDS.carol }],
    ['a missing password', { username: 'alice' }],
    ['a non-string username', { username: ['alice'], password: PASSWORDS.alice }],
    ['an over-long password', { username: 'alice', password: 'x'.repeat(1025) }],
  ])('refuses %s with 401 and sets no cookie', async (_label, body) => {
    const res = await request(api.app).post('/api/login').send(body).expect(401)
    expect(res.body).toEqual({ error: 'invalid_credentials' })
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it('answers malformed JSON with 400', async () => {
    const res = await request(api.app)
      .post('/api/login')
      .set('Content-Type', 'application/json')
      .send('{"username":')
      .expect(400)
    expect(res.body).toEqual({ error: 'bad_request' })
  })

  it('locks a username out after repeated failures, even for the right password', async () => {
    const limited = await openSeededAuthApi(authApiConfig(dir.dir), {
      limiter: createLoginLimiter({ maxFailures: 2, windowSeconds: 60 }),
    })
    try {
      for (let i = 0; i < 2; i += 1) {
        await request(limited.app)
          .post('/api/login')
          .send({ username: 'alice', password: 'bad' })
          .expect(401)
      }
      const res = await request(limited.app)
        .post('/api/login')
        .send({ username: 'alice', password: PASSWORDS.alice })
        .expect(429)
      expect(res.body).toEqual({ error: 'too_many_attempts' })
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      expect(res.headers['set-cookie']).toBeUndefined()
      // Another user is not affected.
      await request(limited.app)
        .post('/api/login')
        .send({ username: 'admin', password: PASSWORDS.admin })
        .expect(200)
    } finally {
      limited.close()
    }
  })
})

describe('login rate limit under parallel guesses (issue 21, point 9a)', () => {
  it('refuses every guess beyond the limit, even when all arrive before the first is checked', async () => {
    const limited = await openSeededAuthApi(authApiConfig(dir.dir), {
      limiter: createLoginLimiter({ maxFailures: 3, windowSeconds: 60, clock: () => NOW }),
    })
    try {
      // All ten pass the limiter before the first password hash is done: the attempt must be
      // counted when it starts, not when its hash is.
      const guesses = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          request(limited.app)
            .post('/api/login')
            .send({ username: 'alice', password: `guess-${i}` }),
        ),
      )
      const statuses = guesses.map((res) => res.status).sort()
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429])
      for (const res of guesses.filter((r) => r.status === 429)) {
        expect(res.body).toEqual({ error: 'too_many_attempts' })
        expect(Number(res.headers['retry-after'])).toBe(60)
      }
      // The right password is refused too while the window lasts.
      await request(limited.app)
        .post('/api/login')
        .send({ username: 'alice', password: PASSWORDS.alice })
        .expect(429)
    } finally {
      limited.close()
    }
  })

  it('forgets the failures of a username after a successful login', async () => {
    const limited = await openSeededAuthApi(authApiConfig(dir.dir), {
      limiter: createLoginLimiter({ maxFailures: 2, windowSeconds: 60, clock: () => NOW }),
    })
    try {
      const login = (password: string) =>
        request(limited.app).post('/api/login').send({ username: 'alice', password })
      await login('bad').expect(401)
      await login(PASSWORDS.alice).expect(200)
      await login('bad').expect(401)
      await login('bad').expect(401)
      await login('bad').expect(429)
    } finally {
      limited.close()
    }
  })
})

describe('login and logout CSRF follow the library rules (issue 21, point 9b)', () => {
  const AUTH_HOST = 'auth.example.test'
  const SIBLING = 'http://evil.example.test'
  /** What a request carries: fetch metadata and Origin as a browser would send them. */
  const cases: [string, Record<string, string>][] = [
    [
      'a same-site sibling (Sec-Fetch-Site: same-site)',
      { 'Sec-Fetch-Site': 'same-site', Origin: SIBLING },
    ],
    ['a same-site request without Origin', { 'Sec-Fetch-Site': 'same-site' }],
    ['no fetch metadata and a foreign Origin', { Origin: 'https://evil.test' }],
    ['no fetch metadata and a sibling Origin', { Origin: SIBLING }],
    ['no fetch metadata and Origin "null"', { Origin: 'null' }],
  ]

  it.each(cases)('refuses a login form post from %s', async (_label, headers) => {
    const res = await request(api.app)
      .post('/login')
      .set('Host', AUTH_HOST)
      .set(headers)
      .type('form')
      .send({ username: 'alice', password: PASSWORDS.alice })
      .expect(403)
    expect(res.text).toContain('Cross-site login requests are not accepted.')
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it.each(cases)('refuses a JSON login from %s', async (_label, headers) => {
    const res = await request(api.app)
      .post('/api/login')
      .set('Host', AUTH_HOST)
      .set(headers)
      .send({ username: 'alice', password: PASSWORDS.alice })
      .expect(403)
    expect(res.body).toEqual({ error: 'cross_site_request' })
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it.each(cases)('refuses a logout from %s and keeps the cookie', async (_label, headers) => {
    const form = await request(api.app)
      .post('/logout')
      .set('Host', AUTH_HOST)
      .set(headers)
      .expect(403)
    expect(form.headers['set-cookie']).toBeUndefined()
    const json = await request(api.app)
      .post('/api/logout')
      .set('Host', AUTH_HOST)
      .set(headers)
      .expect(403)
    expect(json.body).toEqual({ error: 'cross_site_request' })
    expect(json.headers['set-cookie']).toBeUndefined()
  })

  it.each([
    [
      'same-origin fetch metadata',
      { 'Sec-Fetch-Site': 'same-origin', Origin: `http://${AUTH_HOST}` },
    ],
    [
      'a same-site post from an app origin (its sign-out button)',
      { 'Sec-Fetch-Site': 'same-site', Origin: APP_ORIGIN },
    ],
    ["no fetch metadata and the AuthAPI's own Origin", { Origin: `http://${AUTH_HOST}` }],
    ['no fetch metadata and no Origin (not a browser)', {}],
  ])('accepts a login from %s', async (_label, headers) => {
    await request(api.app)
      .post('/login')
      .set('Host', AUTH_HOST)
      .set(headers)
      .type('form')
      .send({ username: 'alice', password: PASSWORDS.alice })
      .expect(303)
  })
})

describe('cookie Secure flag', () => {
  async function cookieFor(
    overrides: Parameters<typeof authApiConfig>[1],
    proto?: string,
    name = 'access_cc',
  ) {
    const other = await openSeededAuthApi(authApiConfig(dir.dir, overrides))
    try {
      const req = request(other.app).post('/api/login')
      if (proto !== undefined) void req.set('X-Forwarded-Proto', proto)
      const res = await req.send({ username: 'alice', password: PASSWORDS.alice }).expect(200)
      return setCookie(res.headers, name) ?? ''
    } finally {
      other.close()
    }
  }

  it('is set behind a trusted proxy that says https', async () => {
    expect(await cookieFor({ trustProxy: true }, 'https')).toMatch(/; Secure;|; Secure$/)
  })
  it('is not set when the proxy is not trusted', async () => {
    expect(await cookieFor({ trustProxy: false }, 'https')).not.toMatch(/Secure/)
  })
  it('is always set with secure "always", and the name and domain follow the settings', async () => {
    const cookie = await cookieFor(
      { cookie: { name: 'jwt', domain: 'example.test', secure: 'always' } },
      undefined,
      'jwt',
    )
    expect(cookie).toMatch(
      /^jwt=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=900; Domain=example\.test; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/,
    )
  })
})

describe('login form', () => {
  it('shows the form with the safe redirect kept in a hidden field', async () => {
    const res = await request(api.app)
      .get('/login')
      .query({ redirect: `${APP_ORIGIN}/me` })
      .expect(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.headers['content-security-policy']).toContain("default-src 'none'")
    expect(res.text).toContain('<form method="post" action="/login">')
    expect(res.text).toContain(`<input type="hidden" name="redirect" value="${APP_ORIGIN}/me" />`)
  })

  it('drops an unsafe redirect instead of echoing it', async () => {
    const res = await request(api.app)
      .get('/login')
      .query({ redirect: 'https://evil.test/"><script>' })
      .expect(200)
    expect(res.text).not.toContain('evil.test')
    expect(res.text).not.toContain('name="redirect"')
  })

  it('signs in and redirects back to the app with 303', async () => {
    const res = await request(api.app)
      .post('/login')
      .type('form')
      .send({ username: 'admin', password: PASSWORDS.admin, redirect: `${APP_ORIGIN}/admin?x=1` })
      .expect(303)
    expect(res.headers['location']).toBe(`${APP_ORIGIN}/admin?x=1`)
    expect(setCookie(res.headers, 'access_cc')).toMatch(/HttpOnly; SameSite=Lax$/)
  })

  it.each([
    ['another origin', 'https://evil.test/'],
    ['a protocol-relative URL', '//evil.test/'],
    ['a backslash trick', '/\\evil.test/'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['credentials in the URL', 'http://user:pw@app.example.test/'],
  ])('ignores a redirect to %s and uses the default', async (_label, redirect) => {
    const res = await request(api.app)
      .post('/login')
      .type('form')
      .send({ username: 'alice', password: PASSWORDS.alice, redirect })
      .expect(303)
    expect(res.headers['location']).toBe(`${APP_ORIGIN}/me`)
  })

  it('accepts a path on the AuthAPI itself', async () => {
    const res = await request(api.app)
      .post('/login')
      .type('form')
      .send({ username: 'alice', password: PASSWORDS.alice, redirect: '/login?done=1' })
      .expect(303)
    expect(res.headers['location']).toBe('/login?done=1')
  })

  it('re-shows the form with an escaped username on a wrong password', async () => {
    const res = await request(api.app)
      .post('/login')
      .type('form')
      .send({ username: '<img src=x onerror=alert(1)>', password: 'bad' })
      .expect(401)
    expect(res.text).toContain('Invalid username or password')
    expect(res.text).toContain('value="&lt;img src=x onerror=alert(1)&gt;"')
    expect(res.text).not.toContain('<img src=x')
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it('refuses a cross-site form post (login CSRF)', async () => {
    const res = await request(api.app)
      .post('/login')
      .set('Sec-Fetch-Site', 'cross-site')
      .type('form')
      .send({ username: 'alice', password: PASSWORDS.alice })
      .expect(403)
    expect(res.text).toContain('Cross-site login requests are not accepted.')
    expect(res.headers['set-cookie']).toBeUndefined()
  })
})

describe('logout', () => {
  const CLEARED =
    'access_cc=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax'

  it('clears the cookie from a form and redirects to a safe target', async () => {
    const res = await request(api.app)
      .post('/logout')
      .set('Sec-Fetch-Site', 'same-site')
      .set('Origin', APP_ORIGIN)
      .type('form')
      .send({ redirect: `${APP_ORIGIN}/me` })
      .expect(303)
    expect(res.headers['location']).toBe(`${APP_ORIGIN}/me`)
    expect(setCookie(res.headers, 'access_cc')).toBe(CLEARED)
  })

  it('clears the cookie from the JSON API', async () => {
    const res = await request(api.app).post('/api/logout').expect(204)
    expect(setCookie(res.headers, 'access_cc')).toBe(CLEARED)
  })

  it('refuses a cross-site logout (logout CSRF) and keeps the cookie', async () => {
    const form = await request(api.app)
      .post('/logout')
      .set('Sec-Fetch-Site', 'cross-site')
      .expect(403)
    expect(form.headers['set-cookie']).toBeUndefined()
    const json = await request(api.app)
      .post('/api/logout')
      .set('Sec-Fetch-Site', 'cross-site')
      .expect(403)
    expect(json.body).toEqual({ error: 'cross_site_request' })
    expect(json.headers['set-cookie']).toBeUndefined()
  })

  it('shows a signed-out page when the redirect is unsafe', async () => {
    const res = await request(api.app)
      .post('/logout')
      .type('form')
      .send({ redirect: 'https://evil.test/' })
      .expect(200)
    expect(res.text).toContain('Signed out')
    expect(setCookie(res.headers, 'access_cc')).toBe(CLEARED)
  })
})

describe('JWKS', () => {
  it('publishes only the public Ed25519 key with its thumbprint as kid', async () => {
    const res = await request(api.app).get('/.well-known/jwks.json').expect(200)
    expect(res.headers['cache-control']).toBe('public, max-age=300')
    expect(res.body.keys).toHaveLength(1)
    expect(res.body.keys[0]).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.stringMatching(/^[\w-]{43}$/),
      kid: expect.stringMatching(/^[\w-]{43}$/),
      alg: 'EdDSA',
      use: 'sig',
    })
  })

  it('matches the kid in the token header', async () => {
    const login = await request(api.app)
      .post('/api/login')
      .send({ username: 'alice', password: PASSWORDS.alice })
    const jwks = await request(api.app).get('/.well-known/jwks.json')
    expect(decodeProtectedHeader(login.body.access_token).kid).toBe(jwks.body.keys[0].kid)
  })
})
