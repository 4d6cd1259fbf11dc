/**
 * A real MCP client against an MCP server protected by jwt-gate with a `resource` (issue 23): the
 * MCP TypeScript SDK's Streamable HTTP transport on Express, and a real OpenID Provider
 * (oidc-provider) on loopback. The SDK's own client-side auth reads the 401's
 * `resource_metadata`, fetches the protected-resource metadata, finds the provider there as the
 * authorization server, gets a token for the resource (RFC 8707) and calls the tool.
 */
import { createServer } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import express from 'express'
import type { Request } from 'express'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { z } from 'zod'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js'
import {
  discoverOAuthServerInfo,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/sdk/client/auth.js'
import { authenticate, authErrorHandler, requireScopes } from '../../src/index.js'
import { CLIENT_ID, CLIENT_SECRET, startOidcProvider } from '../helpers/oidc-provider.js'
import type { OidcProvider } from '../helpers/oidc-provider.js'

let op: OidcProvider
let mcpUrl: string
let toolRuns = 0
let lastClientId: string | undefined

/**
 * The SDK's transport reads `req.auth` as its own `AuthInfo` and hands it to the tools as
 * `extra.authInfo`: give it one made from jwt-gate's verified context.
 */
function withMcpAuth(req: Request): IncomingMessage & { auth: AuthInfo } {
  const auth = req.auth!
  const clientId = auth.claims['client_id']
  const info: AuthInfo = {
    token: auth.token,
    clientId: typeof clientId === 'string' ? clientId : auth.subject,
    scopes: auth.scopes,
    ...(typeof auth.claims.exp === 'number' ? { expiresAt: auth.claims.exp } : {}),
  }
  return Object.assign(req, { auth: info })
}
const server = createServer()

/** The recipe of docs/mcp.md: the gate with `resource`, a scope guard, the MCP transport. */
function mcpApp(resource: string, issuer: string): express.Express {
  const app = express()
  app.use(express.json())
  app.use(
    authenticate({
      issuers: [{ issuer, key: { jwksUrl: `${issuer}/jwks` }, typ: ['at+jwt'] }],
      resource,
    }),
  )
  app.post('/mcp', requireScopes('reports:read'), async (req, res) => {
    // Stateless: one server and transport per request.
    const mcp = new McpServer({ name: 'reports', version: '1.0.0' })
    mcp.registerTool(
      'count-reports',
      { description: 'How many reports', inputSchema: { year: z.number() } },
      ({ year }, extra) => {
        toolRuns++
        lastClientId = extra.authInfo?.clientId
        return { content: [{ type: 'text', text: `42 reports in ${year}` }] }
      },
    )
    const transport = new StreamableHTTPServerTransport({})
    res.on('close', () => void transport.close())
    await mcp.connect(transport)
    await transport.handleRequest(withMcpAuth(req), res, req.body)
  })
  app.use(authErrorHandler())
  return app
}

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  mcpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`
  op = await startOidcProvider({ resources: [mcpUrl, 'http://127.0.0.1:1/other'] })
  server.on('request', mcpApp(mcpUrl, op.issuer))
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await op.close()
})

describe('an MCP server behind jwt-gate, with the MCP SDK as client', () => {
  it("the SDK's discovery follows the 401's resource_metadata to the provider", async () => {
    const denied = await fetch(mcpUrl, { method: 'POST', body: '{}' })
    expect(denied.status).toBe(401)
    const { resourceMetadataUrl } = extractWWWAuthenticateParams(denied)
    expect(resourceMetadataUrl?.href).toBe(
      mcpUrl.replace('/mcp', '/.well-known/oauth-protected-resource/mcp'),
    )
    const info = await discoverOAuthServerInfo(mcpUrl, {
      resourceMetadataUrl: resourceMetadataUrl!,
    })
    expect(info.resourceMetadata?.resource).toBe(mcpUrl)
    expect(info.resourceMetadata?.scopes_supported).toContain('reports:read')
    expect(info.authorizationServerUrl).toBe(op.issuer)
    expect(info.authorizationServerMetadata?.issuer).toBe(op.issuer)
  })

  it('with a token from the provider for the resource, the client calls the tool', async () => {
    const token = await op.token({ resource: mcpUrl, scope: 'reports:read' })
    const client = new Client({ name: 'test-client', version: '1.0.0' })
    const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    })
    await client.connect(transport)
    const result = await client.callTool({ name: 'count-reports', arguments: { year: 2026 } })
    expect(result.content).toEqual([{ type: 'text', text: '42 reports in 2026' }])
    await client.close()
  })

  it('the SDK client authenticates by itself: 401, discovery, client credentials, tool', async () => {
    const before = toolRuns
    const authProvider = new ClientCredentialsProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      expectedIssuer: op.issuer,
      scope: 'reports:read',
    })
    const client = new Client({ name: 'm2m-client', version: '1.0.0' })
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider }))
    const result = await client.callTool({ name: 'count-reports', arguments: { year: 2025 } })
    expect(result.content).toEqual([{ type: 'text', text: '42 reports in 2025' }])
    expect(toolRuns).toBe(before + 1)
    expect(lastClientId).toBe(CLIENT_ID)
    await client.close()
  })

  it("a provider token for another resource is refused (RFC 8707) and the tool doesn't run", async () => {
    const before = toolRuns
    const token = await op.token({ resource: 'http://127.0.0.1:1/other', scope: 'reports:read' })
    const res = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'count-reports', arguments: { year: 1 } },
      }),
    })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { code: string }).code).toBe('ERR_AUTH_AUDIENCE_INVALID')
    expect(res.headers.get('www-authenticate')).toContain('resource_metadata="')
    expect(toolRuns).toBe(before)
  })
})
