/**
 * Discovery against a hand-written authorization server (oidc-provider serves OpenID Connect
 * discovery at the root only): the RFC 8414 fallback with the path insertion of §3.1, the last
 * good document kept while the metadata endpoint fails, and documents that lie (another issuer,
 * an http `jwks_uri`), redirect, overflow or hang.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AuthenticateOptions } from '../../src/index.js'
import { MAX_METADATA_BYTES } from '../../src/keys/discovery.js'
import { es256, jwkWithKid } from '../helpers/keys.js'
import { NOW, sign } from '../helpers/tokens.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import type { JwksServer } from '../helpers/jwks-server.js'
import { expectPass, expectRefused, startGate } from './gate.js'
import type { Gate } from './gate.js'
import { startMetadataServer } from './metadata-server.js'
import type { MetadataServer } from './metadata-server.js'

const AUDIENCE = 'https://api.example.test/'
const TIMEOUT = 300
const COOLDOWN = 1_000
const MAX_AGE = 10_000

let as: MetadataServer
let gate: Gate | undefined
let evil: JwksServer | undefined

const at = (ms: number): void => {
  vi.setSystemTime(NOW.getTime() + ms)
}

function options(issuer: string): AuthenticateOptions {
  return {
    issuers: [
      {
        issuer,
        audience: AUDIENCE,
        key: {
          discovery: true,
          timeout: TIMEOUT,
          cooldown: COOLDOWN,
          cacheMaxAge: MAX_AGE,
          staleIfError: 60_000,
        },
      },
    ],
    clock: () => NOW,
  }
}

const tokenFor = (issuer: string): Promise<string> =>
  sign(es256.privateKey, { alg: 'ES256', kid: 'k1', claims: { iss: issuer, aud: AUDIENCE } })

/** The server's JWKS at /keys, and the document `issuer` names at `metadataPath`. */
async function serve(metadataPath: string, issuer: string, extra: object = {}): Promise<void> {
  as.route('/keys', { kind: 'json', body: { keys: [await jwkWithKid(es256, 'k1', 'ES256')] } })
  as.route(metadataPath, {
    kind: 'json',
    body: { issuer, jwks_uri: `${as.origin}/keys`, token_endpoint: `${issuer}/token`, ...extra },
  })
}

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  at(0)
  as = await startMetadataServer()
})

afterEach(async () => {
  vi.useRealTimers()
  await gate?.middleware.close()
  gate = undefined
  await as.close()
  await evil?.close()
  evil = undefined
})

describe('RFC 8414 fallback', () => {
  it('an issuer with a path: OpenID Connect URL appended, then RFC 8414 URL inserted', async () => {
    const issuer = `${as.origin}/tenant/a`
    await serve('/.well-known/oauth-authorization-server/tenant/a', issuer)
    gate = startGate(options(issuer))
    await expectPass(gate, await tokenFor(issuer))
    expect(as.requested).toEqual([
      '/tenant/a/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server/tenant/a',
      '/keys',
    ])
  })

  it('an issuer without a path: the RFC 8414 document at the root', async () => {
    const issuer = as.origin
    await serve('/.well-known/oauth-authorization-server', issuer)
    gate = startGate(options(issuer))
    await expectPass(gate, await tokenFor(issuer))
    expect(as.requested).toEqual([
      '/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server',
      '/keys',
    ])
  })

  it('an RFC 8414 document that names the issuer without its path is not adopted', async () => {
    const issuer = `${as.origin}/tenant`
    await serve('/.well-known/oauth-authorization-server/tenant', as.origin)
    gate = startGate(options(issuer))
    await expectRefused(gate, await tokenFor(issuer), 503, 'ERR_AUTH_KEYS_UNAVAILABLE')
    expect(as.requested).not.toContain('/keys')
  })
})

describe('the last good document', () => {
  it('keeps serving while the metadata endpoint fails: the key set is still refreshed', async () => {
    const issuer = as.origin
    await serve('/.well-known/openid-configuration', issuer)
    gate = startGate(options(issuer))
    const token = await tokenFor(issuer)
    await expectPass(gate, token)
    as.route('/.well-known/openid-configuration', { kind: 'text', body: 'down', status: 500 })
    at(MAX_AGE + 1)
    const keysBefore = as.requested.filter((path) => path === '/keys').length
    await expectPass(gate, token)
    expect(as.requested.filter((path) => path === '/keys').length).toBe(keysBefore + 1)
    expect(gate.middleware.authenticator.readiness().ready).toBe(true)
  })
})

describe('hostile or broken discovery documents: 503, never a pass, nothing adopted', () => {
  it('another issuer, pointing at an attacker key set with the same kid', async () => {
    const attacker = { ...(await jwkWithKid(es256, 'k1', 'ES256')) }
    evil = await startJwksServer([attacker])
    const issuer = as.origin
    const body = { issuer: 'https://attacker.example', jwks_uri: evil.url }
    as.route('/.well-known/openid-configuration', { kind: 'json', body })
    as.route('/.well-known/oauth-authorization-server', { kind: 'json', body })
    gate = startGate(options(issuer))
    await expectRefused(gate, await tokenFor(issuer), 503, 'ERR_AUTH_KEYS_UNAVAILABLE')
    expect(evil.hits()).toBe(0)
  })

  it('a jwks_uri over plain http to a non-loopback host', async () => {
    const issuer = as.origin
    await serve('/.well-known/openid-configuration', issuer, { jwks_uri: 'http://keys.example/' })
    gate = startGate(options(issuer))
    await expectRefused(gate, await tokenFor(issuer), 503, 'ERR_AUTH_KEYS_UNAVAILABLE')
    const report = gate.middleware.authenticator.readiness()
    expect(report.issuers[0]?.lastError).toMatch(/"jwks_uri" must use https/)
  })

  it('a redirect is not followed', async () => {
    const issuer = as.origin
    await serve('/real', issuer)
    as.route('/.well-known/openid-configuration', {
      kind: 'redirect',
      location: `${as.origin}/real`,
    })
    as.route('/.well-known/oauth-authorization-server', {
      kind: 'redirect',
      location: `${as.origin}/real`,
    })
    gate = startGate(options(issuer))
    await expectRefused(gate, await tokenFor(issuer), 503, 'ERR_AUTH_KEYS_UNAVAILABLE')
    expect(as.requested).not.toContain('/real')
    expect(gate.middleware.authenticator.readiness().issuers[0]?.lastError).toMatch(/redirect/)
  })

  it('a document larger than the limit is not read whole', async () => {
    const issuer = as.origin
    const padding = 'x'.repeat(MAX_METADATA_BYTES)
    await serve('/.well-known/openid-configuration', issuer, { padding })
    gate = startGate(options(issuer))
    await expectRefused(gate, await tokenFor(issuer), 503, 'ERR_AUTH_KEYS_UNAVAILABLE')
    expect(as.requested).not.toContain('/keys')
    expect(gate.middleware.authenticator.readiness().issuers[0]?.lastError).toMatch(/larger than/)
  })

  it('a document just under the limit is read', async () => {
    const issuer = as.origin
    await serve('/.well-known/openid-configuration', issuer, {
      padding: 'x'.repeat(MAX_METADATA_BYTES - 1_000),
    })
    gate = startGate(options(issuer))
    await expectPass(gate, await tokenFor(issuer))
  })

  it('a hanging metadata endpoint: 503 within about the timeout', async () => {
    const issuer = as.origin
    as.route('/.well-known/openid-configuration', { kind: 'hang' })
    gate = startGate(options(issuer))
    const started = performance.now()
    await expectRefused(gate, await tokenFor(issuer), 503, 'ERR_AUTH_KEYS_UNAVAILABLE')
    expect(performance.now() - started).toBeLessThan(TIMEOUT + 1_500)
    // A timeout is not an answer: the RFC 8414 URL on the same host is not tried as well.
    expect(as.requested).toEqual(['/.well-known/openid-configuration'])
  })

  it('not JSON, or a JSON array', async () => {
    const issuer = as.origin
    for (const body of ['<html>login</html>', '[]']) {
      as.route('/.well-known/openid-configuration', { kind: 'text', body })
      gate = startGate(options(issuer))
      await expectRefused(gate, await tokenFor(issuer), 503, 'ERR_AUTH_KEYS_UNAVAILABLE')
      await gate.middleware.close()
    }
  })
})

describe('readiness never shows a URL query', () => {
  it('a jwksUrl carrying an API key in its query, answering 500', async () => {
    as.route('/keys', { kind: 'text', body: 'down', status: 500 })
    gate = startGate({
      issuers: [
        {
          issuer: as.origin,
          audience: AUDIENCE,
          key: { jwksUrl: `${as.origin}/keys?api_key=s3cr3t`, headers: { 'x-api-key': 'h3ad3r' } },
        },
      ],
      clock: () => NOW,
    })
    await expectRefused(gate, await tokenFor(as.origin), 503, 'ERR_AUTH_KEYS_UNAVAILABLE')
    const report = JSON.stringify(gate.middleware.authenticator.readiness())
    expect(report).toMatch(/HTTP 500/)
    expect(report).not.toMatch(/s3cr3t|h3ad3r|api_key/)
  })
})
