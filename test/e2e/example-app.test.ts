/**
 * The example in a real browser (Debian's Chromium through playwright-core): the AuthAPI and the
 * protected app on two loopback ports, a login through the form, the cookie as the browser keeps
 * it, the admin guard, and logout.
 */
import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserAvailable, launchChromium } from '../helpers/chromium.js'
import type { ExampleApp } from '../../example-app/app/app.js'
import { parseAppConfig } from '../../example-app/app/config.js'
import { openApp } from '../../example-app/app/open.js'
import type { OpenAuthApi } from '../../example-app/auth-api/open.js'
import { rawPublicKeyBase64 } from '../../example-app/shared/ed25519.js'
import {
  authApiConfig,
  ISSUER,
  openSeededAuthApi,
  PASSWORDS,
  tempDir,
} from '../example-app/helpers.js'

// The committed screenshot is refreshed on request only, so that a test run leaves the work tree
// clean: `UPDATE_SCREENSHOTS=1 npx vitest run test/e2e`.
const DOCS_SCREENSHOT = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'docs',
  'images',
  'signed-in.png',
)

const available = browserAvailable('browser tests (test/e2e/example-app)')

let dir: ReturnType<typeof tempDir>
let authServer: Server
let appServer: Server
let authApi: OpenAuthApi
let example: ExampleApp
let browser: Browser
let authOrigin: string
let appOrigin: string

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

beforeAll(async () => {
  if (!available) return
  dir = tempDir()
  // Ports first: each program's configuration names the other's origin.
  authServer = createServer()
  appServer = createServer()
  authOrigin = await listen(authServer)
  appOrigin = await listen(appServer)
  const authConfig = authApiConfig(dir.dir, {
    appOrigins: [appOrigin],
    defaultRedirect: `${appOrigin}/me`,
  })
  authApi = await openSeededAuthApi(authConfig)
  authServer.on('request', authApi.app)
  example = await openApp(
    parseAppConfig({
      JWT_ISSUER: ISSUER,
      JWT_PUBLIC_KEY: rawPublicKeyBase64(authConfig.publicKey),
      AUTH_LOGIN_URL: `${authOrigin}/login`,
    }),
  )
  appServer.on('request', example.app)
  browser = await launchChromium()
})

afterAll(async () => {
  if (!available) return
  await browser?.close()
  authServer?.closeAllConnections()
  appServer?.closeAllConnections()
  await Promise.all([authServer, appServer].map((s) => new Promise((resolve) => s?.close(resolve))))
  await example?.close()
  authApi?.close()
  dir?.remove()
})

async function signIn(
  page: Page,
  username: keyof typeof PASSWORDS,
  password = PASSWORDS[username],
) {
  await page.fill('#username', username)
  await page.fill('#password', password)
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')])
}

async function tokenCookie(context: BrowserContext) {
  return (await context.cookies()).find((cookie) => cookie.name === 'access_cc')
}

describe.skipIf(!available)('example app in Chromium', () => {
  it('signs alice in through the form, shows her on /me, refuses /admin, and signs her out', async () => {
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(`${appOrigin}/me`)
      expect(page.url()).toBe(
        `${authOrigin}/login?redirect=${encodeURIComponent(`${appOrigin}/me`)}`,
      )
      expect(await tokenCookie(context)).toBeUndefined()

      await signIn(page, 'alice')
      expect(page.url()).toBe(`${appOrigin}/me`)
      expect(await page.textContent('h1 [data-testid=subject]')).toBe('alice')
      expect(await page.textContent('[data-testid=roles]')).toBe('user')

      const cookie = await tokenCookie(context)
      expect(cookie).toMatchObject({
        domain: '127.0.0.1',
        path: '/',
        httpOnly: true,
        secure: false,
        sameSite: 'Lax',
      })
      expect(cookie?.value).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
      // HttpOnly: page scripts cannot read the token.
      expect(await page.evaluate('document.cookie')).toBe('')

      const screenshot =
        process.env['UPDATE_SCREENSHOTS'] === '1' ? DOCS_SCREENSHOT : join(dir.dir, 'signed-in.png')
      mkdirSync(dirname(screenshot), { recursive: true })
      await page.setViewportSize({ width: 900, height: 760 })
      const png = await page.screenshot({ path: screenshot, fullPage: true })
      expect(png.subarray(1, 4).toString()).toBe('PNG')

      const admin = await page.goto(`${appOrigin}/admin`)
      expect(admin?.status()).toBe(403)
      expect(await page.textContent('h1')).toBe('403: access denied')

      await Promise.all([page.waitForURL(`${authOrigin}/login**`), page.click('text=Sign out')])
      expect(page.url()).toBe(
        `${authOrigin}/login?redirect=${encodeURIComponent(`${appOrigin}/me`)}`,
      )
      expect(await tokenCookie(context)).toBeUndefined()
      const again = await page.goto(`${appOrigin}/`)
      expect(again?.status()).toBe(200)
      expect(await page.textContent('main')).toContain('You are not signed in.')
    } finally {
      await context.close()
    }
  })

  it('lets admin reach the admin page after logging in from it', async () => {
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(`${appOrigin}/admin`)
      expect(page.url()).toBe(
        `${authOrigin}/login?redirect=${encodeURIComponent(`${appOrigin}/admin`)}`,
      )
      await signIn(page, 'admin')
      expect(page.url()).toBe(`${appOrigin}/admin`)
      expect(await page.textContent('h1')).toBe('Admin area')
    } finally {
      await context.close()
    }
  })

  it('keeps a wrong password on the login page without a cookie', async () => {
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(`${authOrigin}/login`)
      await signIn(page, 'alice', 'wrong-password')
      expect(page.url()).toBe(`${authOrigin}/login`)
      expect(await page.textContent('[role=alert]')).toBe('Invalid username or password')
      expect(await tokenCookie(context)).toBeUndefined()
    } finally {
      await context.close()
    }
  })
})
