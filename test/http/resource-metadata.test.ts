/**
 * Protected Resource Metadata (RFC 9728) and resource indicators (RFC 8707) over HTTP: the
 * document and its paths, its CORS and cache headers, `resource_metadata` in every challenge, and
 * the resource as the tokens' audience.
 */
import { describe, expect, it } from 'vitest'
import request from 'supertest'
import { EXPRESS_VERSIONS, createTestApp, expressOf } from '../helpers/app.js'
import { ed25519, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'
import { authenticate, authErrorHandler, requireAnyScope, requireScopes } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'

const RESOURCE = 'https://api.example.org/mcp'
const METADATA_PATH = '/.well-known/oauth-protected-resource/mcp'
const METADATA_URL = `https://api.example.org${METADATA_PATH}`
const key = { ed25519: rawEd25519Base64(ed25519) }

const options: AuthenticateOptions = {
  issuers: [
    { issuer: ISSUER, key },
    { issuer: null, key: { ed25519: rawEd25519Base64(ed25519) }, audience: false },
  ],
  clock,
  resource: RESOURCE,
  resourceMetadata: { scopes: ['extra:write', 'jobs:read'], name: 'Jobs MCP' },
}
// Guards are made at start-up; their scopes are in the document (the registry is per process).
const guards = [requireScopes('jobs:read'), requireAnyScope('reports:read', 'admin')]

describe.each(EXPRESS_VERSIONS)('protected-resource metadata on %s', (version) => {
  const app = (opts: Partial<AuthenticateOptions> = {}) =>
    createTestApp({ ...options, ...opts }, { version, guards, errorHandler: true })

  it('serves the document on the path-suffixed well-known URL, without a token', async () => {
    const t = app()
    const res = await request(t.app).get(METADATA_PATH).expect(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(res.headers['access-control-allow-credentials']).toBeUndefined()
    expect(res.headers['cache-control']).toBe('public, max-age=3600')
    expect(res.body).toEqual({
      resource: RESOURCE,
      // The issuer without `iss` has no URL to discover: left out.
      authorization_servers: [ISSUER],
      scopes_supported: ['admin', 'extra:write', 'jobs:read', 'reports:read'],
      bearer_methods_supported: ['header'],
      resource_name: 'Jobs MCP',
    })
    expect(t.ran()).toBe(0)
  })

  it('answers HEAD with the headers and no body, and a CORS preflight with 204', async () => {
    const t = app()
    const head = await request(t.app).head(METADATA_PATH).expect(200)
    expect(head.headers['access-control-allow-origin']).toBe('*')
    expect(head.text).toBeFalsy()
    const preflight = await request(t.app)
      .options(METADATA_PATH)
      .set('Origin', 'https://client.example')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'mcp-protocol-version')
      .expect(204)
    expect(preflight.headers['access-control-allow-origin']).toBe('*')
    expect(preflight.headers['access-control-allow-methods']).toContain('GET')
    expect(preflight.headers['access-control-allow-headers']).toBe('*')
  })

  it('serves the bare well-known URL for a resource without a path, and no other', async () => {
    const t = app({ resource: 'https://api.example.org' })
    const res = await request(t.app).get('/.well-known/oauth-protected-resource').expect(200)
    expect(res.body.resource).toBe('https://api.example.org')
    // Another resource's path, or another method, goes to the gate like any request.
    await request(t.app).get(METADATA_PATH).expect(401)
    await request(t.app).post('/.well-known/oauth-protected-resource').expect(401)
  })

  it('a path-suffixed resource is not served on the bare URL', async () => {
    await request(app().app).get('/.well-known/oauth-protected-resource').expect(401)
  })

  it('lists no bearer method for a cookie-only gate, and nothing without a resource', async () => {
    const cookieOnly = app({ sources: ['cookie'], cookie: { name: 'at' } })
    const res = await request(cookieOnly.app).get(METADATA_PATH).expect(200)
    expect(res.body.bearer_methods_supported).toEqual([])
    const plain = createTestApp({ ...options, resource: undefined, resourceMetadata: undefined })
    await request(plain.app).get(METADATA_PATH).expect(401)
  })

  it('adds resource_metadata to a 401 without a token, with a bad token, and to a 403', async () => {
    const t = app()
    const none = await request(t.app).get('/protected').expect(401)
    expect(none.headers['www-authenticate']).toBe(
      `Bearer realm="api", resource_metadata="${METADATA_URL}"`,
    )
    const bad = await request(t.app).get('/protected').set('Authorization', 'Bearer abc.def.ghi')
    expect(bad.status).toBe(401)
    expect(bad.headers['www-authenticate']).toMatch(
      new RegExp(`^Bearer realm="api", resource_metadata="${METADATA_URL}", error="invalid_token"`),
    )
    const token = await sign(ed25519.privateKey, { claims: { aud: RESOURCE, scope: 'other' } })
    const forbidden = await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)
    expect(forbidden.status).toBe(403)
    expect(forbidden.headers['www-authenticate']).toContain(
      `resource_metadata="${METADATA_URL}", error="insufficient_scope"`,
    )
    expect(t.ran()).toBe(0)
  })

  it('requires the resource in aud (RFC 8707): a token for another resource is a 401', async () => {
    const t = app()
    const other = await sign(ed25519.privateKey, {
      claims: { aud: 'https://other.example.org/mcp', scope: 'jobs:read reports:read' },
    })
    const res = await request(t.app).get('/protected').set('Authorization', `Bearer ${other}`)
    expect(res.status).toBe(401)
    expect(res.body.code).toBe('ERR_AUTH_AUDIENCE_INVALID')
    expect(res.headers['www-authenticate']).toContain(`resource_metadata="${METADATA_URL}"`)
    const mine = await sign(ed25519.privateKey, {
      claims: { aud: ['x', RESOURCE], scope: 'jobs:read reports:read' },
    })
    await request(t.app).get('/protected').set('Authorization', `Bearer ${mine}`).expect(200)
    expect(t.ran()).toBe(1)
  })

  it('an explicit audience wins over the resource, and audience: false checks none', async () => {
    const scope = 'jobs:read admin'
    const forApi = await sign(ed25519.privateKey, { claims: { aud: 'api://jobs', scope } })
    const explicit = app({ issuers: [{ issuer: ISSUER, key, audience: 'api://jobs' }] })
    await request(explicit.app)
      .get('/protected')
      .set('Authorization', `Bearer ${forApi}`)
      .expect(200)
    const unchecked = app({ issuers: [{ issuer: ISSUER, key, audience: false }] })
    await request(unchecked.app)
      .get('/protected')
      .set('Authorization', `Bearer ${forApi}`)
      .expect(200)
    const noAud = await sign(ed25519.privateKey, { claims: { scope } })
    await request(app().app).get('/protected').set('Authorization', `Bearer ${noAud}`).expect(401)
  })

  it("stacked gates: the guards name the nearest gate's metadata, or none", async () => {
    const express = expressOf(version)
    const root = express()
    const withResource = authenticate(options)
    const without = authenticate({ ...options, resource: undefined, resourceMetadata: undefined })
    const guard = requireScopes('jobs:read')
    root.get('/a', without, withResource, guard, (_req, res) => res.json({}))
    root.get('/b', withResource, without, guard, (_req, res) => res.json({}))
    root.use(authErrorHandler())
    const token = await sign(ed25519.privateKey, { claims: { aud: RESOURCE, scope: 'other' } })
    const a = await request(root).get('/a').set('Authorization', `Bearer ${token}`).expect(403)
    expect(a.headers['www-authenticate']).toContain(`resource_metadata="${METADATA_URL}"`)
    const b = await request(root).get('/b').set('Authorization', `Bearer ${token}`).expect(403)
    expect(b.headers['www-authenticate']).not.toContain('resource_metadata')
  })

  it('gate.metadata serves the document when the gate is mounted on a sub-path', async () => {
    const express = expressOf(version)
    const root = express()
    const gate = authenticate(options)
    let ran = 0
    root.use(gate.metadata!)
    root.use('/mcp', gate, (_req, res) => {
      ran++
      res.json({ ok: true })
    })
    root.use(authErrorHandler())
    const res = await request(root).get(METADATA_PATH).expect(200)
    expect(res.body.resource).toBe(RESOURCE)
    const denied = await request(root).post('/mcp').expect(401)
    expect(denied.headers['www-authenticate']).toContain(`resource_metadata="${METADATA_URL}"`)
    expect(ran).toBe(0)
  })
})

describe('the resource option at start-up', () => {
  const bad: [string, RegExp][] = [
    ['https://api.example.org/mcp#frag', /fragment/],
    ['http://api.example.org/mcp', /https/],
    ['ftp://api.example.org/', /https/],
    ['/mcp', /absolute URL/],
    ['https://api.example.org/mcp?tenant=a', /query/],
    ['https://user:pw@api.example.org/', /credentials/],
  ]
  it.each(bad)('refuses %s naming "resource"', (resource, message) => {
    expect(() => authenticate({ ...options, resource })).toThrow(
      expect.objectContaining({
        name: 'AuthConfigError',
        option: 'resource',
        message: expect.stringMatching(message),
      }),
    )
  })
  it('accepts http on loopback hosts', () => {
    for (const resource of [
      'http://127.0.0.1:3000/mcp',
      'http://localhost/',
      'http://[::1]:8080',
    ]) {
      expect(() => authenticate({ ...options, resource })).not.toThrow()
    }
  })
  it('refuses resourceMetadata without a resource', () => {
    expect(() => authenticate({ ...options, resource: undefined })).toThrow(/resourceMetadata/)
  })
})
