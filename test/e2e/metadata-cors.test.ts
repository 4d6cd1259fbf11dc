/**
 * Browser-based MCP clients read the protected-resource metadata cross-origin before they hold a
 * token (RFC 9728, issue 23): a page in headless Chromium, served from another loopback origin,
 * fetches the document (with and without a header that needs a preflight) and reads it; the same
 * page cannot read the gate's other answers, which carry no CORS headers.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import express from 'express'
import { authenticate, authErrorHandler } from '../../src/index.js'
import { browserAvailable, launchChromium } from '../helpers/chromium.js'
import { ed25519, rawEd25519Base64 } from '../helpers/keys.js'

const available = browserAvailable('browser tests (test/e2e/metadata-cors)')

const apiServer: Server = createServer()
const pageServer: Server = createServer((_req, res) => {
  res.setHeader('Content-Type', 'text/html')
  res.end('<!doctype html><title>client</title>')
})
let browser: Browser
let apiOrigin: string
let pageOrigin: string

async function listen(server: Server, host: string): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://${host}:${(server.address() as AddressInfo).port}`
}

beforeAll(async () => {
  if (!available) return
  apiOrigin = await listen(apiServer, '127.0.0.1')
  // Another host name and port: another origin.
  pageOrigin = await listen(pageServer, 'localhost')
  const app = express()
  app.use(
    authenticate({
      issuers: [
        { issuer: 'https://auth.example.org', key: { ed25519: rawEd25519Base64(ed25519) } },
      ],
      resource: `${apiOrigin}/mcp`,
    }),
  )
  app.get('/mcp', (_req, res) => res.json({ ok: true }))
  app.use(authErrorHandler())
  apiServer.on('request', app)
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  for (const server of [apiServer, pageServer]) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

describe.skipIf(!available)('the metadata document in Chromium, cross-origin', () => {
  it("a page on another origin reads it; the gate's other answers stay unreadable", async () => {
    const page = await browser.newPage()
    try {
      await page.goto(`${pageOrigin}/`)
      const outcome = await page.evaluate(async (api) => {
        const read = async (url: string, headers: Record<string, string> = {}) => {
          try {
            const res = await fetch(url, { headers })
            return { status: res.status, body: await res.json() }
          } catch (error) {
            return { error: String(error) }
          }
        }
        const url = `${api}/.well-known/oauth-protected-resource/mcp`
        return {
          plain: await read(url),
          // The MCP SDK sends this header, which makes the browser ask with a preflight first.
          preflighted: await read(url, { 'MCP-Protocol-Version': '2025-11-25' }),
          protected: await read(`${api}/mcp`),
        }
      }, apiOrigin)
      const document = {
        resource: `${apiOrigin}/mcp`,
        authorization_servers: ['https://auth.example.org'],
        bearer_methods_supported: ['header'],
      }
      expect(outcome.plain).toEqual({ status: 200, body: document })
      expect(outcome.preflighted).toEqual({ status: 200, body: document })
      expect(outcome.protected).toEqual({
        error: expect.stringMatching(/TypeError|Failed to fetch/),
      })
    } finally {
      await page.close()
    }
  })
})
