/**
 * The framework-free parts of RFC 9728 support: the resource rule, the well-known paths of
 * §3.1, the document, and the start-up audience warning once a resource covers an issuer.
 */
import { describe, expect, it, vi } from 'vitest'
import { protectedResource, resourceProblem } from '../../src/metadata/resource.js'
import { authorizationServersOf, metadataDocument } from '../../src/metadata/document.js'
import { buildChallenge } from '../../src/challenge.js'
import { ed25519, rawEd25519Base64 } from '../helpers/keys.js'

describe('the well-known URL of a resource (RFC 9728 §3.1)', () => {
  it.each([
    ['https://h.example/mcp', 'https://h.example/.well-known/oauth-protected-resource/mcp'],
    ['https://h.example/a/b', 'https://h.example/.well-known/oauth-protected-resource/a/b'],
    ['https://h.example', 'https://h.example/.well-known/oauth-protected-resource'],
    ['https://h.example/', 'https://h.example/.well-known/oauth-protected-resource'],
    ['http://127.0.0.1:8080/mcp', 'http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp'],
  ])('%s → %s', (resource, url) => {
    const resolved = protectedResource(resource)
    expect(resolved.metadataUrl).toBe(url)
    expect(resolved.metadataPath).toBe(new URL(url).pathname)
    expect(resolved.resource).toBe(resource)
  })

  it('accepts https and loopback http, refuses the rest', () => {
    expect(resourceProblem('https://h.example/mcp')).toBeUndefined()
    expect(resourceProblem('http://localhost:3000/')).toBeUndefined()
    expect(resourceProblem('http://h.example/')).toMatch(/https/)
    expect(resourceProblem('https://h.example/#')).toMatch(/fragment/)
    expect(resourceProblem('https://h.example/?')).toMatch(/query/)
  })
})

describe('the document', () => {
  const settings = {
    ...protectedResource('https://h.example/mcp'),
    authorizationServers: ['https://as.example'],
    headerSource: true,
    extraScopes: ['b', 'a'],
    name: undefined,
    documentation: 'https://h.example/docs',
    senderConstraints: {},
  }
  it('lists sorted unique scopes, the bearer methods and the configured members only', () => {
    expect(metadataDocument(settings, new Set(['c', 'a']))).toEqual({
      resource: 'https://h.example/mcp',
      authorization_servers: ['https://as.example'],
      scopes_supported: ['a', 'b', 'c'],
      bearer_methods_supported: ['header'],
      resource_documentation: 'https://h.example/docs',
    })
    const bare = metadataDocument({ ...settings, extraScopes: [], headerSource: false }, new Set())
    expect(bare).not.toHaveProperty('scopes_supported')
    expect(bare['bearer_methods_supported']).toEqual([])
  })
  it('takes only issuers that are http(s) URLs as authorization servers', () => {
    expect(authorizationServersOf(['https://a', null, 'local', 'urn:x', 'http://b:1'])).toEqual([
      'https://a',
      'http://b:1',
    ])
  })
  it('puts resource_metadata in the challenge', () => {
    expect(
      buildChallenge('api', 'invalid_token', {
        description: 'bad',
        resourceMetadata: 'https://h/.well-known/x',
      }),
    ).toBe(
      'Bearer realm="api", resource_metadata="https://h/.well-known/x", error="invalid_token", error_description="bad"',
    )
  })
})

describe('the audience warning with a resource', () => {
  const ed = { ed25519: rawEd25519Base64(ed25519) }
  async function warnings(options: Record<string, unknown>): Promise<string[]> {
    vi.resetModules()
    const { createAuthenticator } = await import('../../src/index.js')
    const seen: string[] = []
    const listener = (warning: Error & { code?: string }) => {
      if (warning.code === 'JWT_GATE_AUDIENCE_UNCHECKED') seen.push(warning.message)
    }
    process.on('warning', listener)
    try {
      createAuthenticator(options as never)
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', listener)
    }
    return seen
  }
  it('does not fire for issuers the resource covers', async () => {
    const issuers = [{ issuer: 'https://a.example', key: ed }]
    expect(await warnings({ issuers, resource: 'https://h.example/mcp' })).toEqual([])
    expect(await warnings({ issuers })).toHaveLength(1)
  })
})
