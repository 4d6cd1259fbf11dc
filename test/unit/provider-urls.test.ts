/**
 * Issue 23, points 1 and 2, the pure parts: where an issuer's metadata lives (OpenID Connect
 * Discovery 1.0 §4, RFC 8414 §3.1), which issuers discovery accepts, and how long an answer stays
 * fresh by its `Cache-Control` (RFC 9111 §4.2.1) within the configured bounds.
 */
import { describe, expect, it } from 'vitest'
import { discoveryIssuerProblem, metadataUrls } from '../../src/keys/provider-urls.js'
import { freshnessOf } from '../../src/keys/freshness.js'

describe('metadata URLs of an issuer', () => {
  it.each([
    [
      'https://idp.example',
      'https://idp.example/.well-known/openid-configuration',
      'https://idp.example/.well-known/oauth-authorization-server',
    ],
    [
      'https://idp.example/',
      'https://idp.example/.well-known/openid-configuration',
      'https://idp.example/.well-known/oauth-authorization-server',
    ],
    [
      'https://idp.example/tenant',
      'https://idp.example/tenant/.well-known/openid-configuration',
      'https://idp.example/.well-known/oauth-authorization-server/tenant',
    ],
    [
      'https://idp.example/realms/a/b/',
      'https://idp.example/realms/a/b/.well-known/openid-configuration',
      'https://idp.example/.well-known/oauth-authorization-server/realms/a/b',
    ],
    [
      'http://127.0.0.1:8080/t',
      'http://127.0.0.1:8080/t/.well-known/openid-configuration',
      'http://127.0.0.1:8080/.well-known/oauth-authorization-server/t',
    ],
  ])('%s', (issuer, oidc, rfc8414) => {
    expect(metadataUrls(issuer).map(String)).toEqual([oidc, rfc8414])
  })
})

describe('issuers discovery accepts', () => {
  it.each(['https://idp.example', 'https://idp.example/tenant', 'http://localhost:3000'])(
    '%s',
    (issuer) => expect(discoveryIssuerProblem(issuer)).toBeUndefined(),
  )
  it.each([
    [null, /null/],
    ['idp.example', /not a valid URL/],
    ['http://idp.example', /https/],
    ['ftp://idp.example', /https/],
    ['https://user:pw@idp.example', /credentials/],
    ['https://idp.example/?a=1', /query or fragment/],
    ['https://idp.example/?', /query or fragment/],
    ['https://idp.example/#', /query or fragment/],
  ])('refuses %s', (issuer, problem) => {
    expect(discoveryIssuerProblem(issuer)).toMatch(problem)
  })
})

describe('freshness from Cache-Control', () => {
  const bounds = { min: 60_000, max: 600_000 }
  const of = (headers: Record<string, string>): number => freshnessOf(new Headers(headers), bounds)

  it.each([
    [{}, 600_000],
    [{ 'cache-control': 'public, max-age=120' }, 120_000],
    [{ 'cache-control': 'max-age="300"' }, 300_000],
    [{ 'cache-control': 'max-age=86400' }, 600_000],
    [{ 'cache-control': 'max-age=5' }, 60_000],
    [{ 'cache-control': 'max-age=0' }, 60_000],
    [{ 'cache-control': 'no-cache' }, 60_000],
    [{ 'cache-control': 'NO-STORE, max-age=300' }, 60_000],
    [{ 'cache-control': 'max-age=300', age: '100' }, 200_000],
    [{ 'cache-control': 'max-age=300', age: '400' }, 60_000],
    [{ 'cache-control': 'max-age=-1' }, 600_000],
    [{ 'cache-control': 'max-age=1e3' }, 600_000],
    [{ 'cache-control': 'max-age=120, max-age=500' }, 120_000],
    [{ 'cache-control': 's-maxage=120' }, 600_000],
  ])('%j → %i ms', (headers, expected) => {
    expect(of(headers)).toBe(expected)
  })
})
