/**
 * Debian's Chromium for the browser suites, driven by playwright-core (never a downloaded browser).
 * On a developer machine without it a suite is skipped, and says so; in CI (CI=true) a missing
 * browser is a failure, never a silent skip.
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

const CHROMIUM = '/usr/bin/chromium'

/** Whether the browser suites can run here; throws in CI when they cannot. */
export function browserAvailable(suite: string): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env.CI === 'true')
    throw new Error(`${CHROMIUM} is missing; CI=true, so the browser tests fail`)
  console.warn(
    `[jwt-gate] SKIPPED: ${suite}: ${CHROMIUM} not found. Install it with ` +
      '`apt-get install -y chromium` to run them.',
  )
  return false
}

/** A headless Chromium with no network of its own beyond what the page asks for. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  })
}
