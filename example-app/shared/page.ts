/**
 * The page layout both example programs share, and the headers every HTML answer carries.
 *
 * @module
 */
import type { Response } from 'express'
import { html, SafeHtml } from './html.js'

const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 3rem auto; padding: 0 1rem; color: #1f2933; }
header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 1px solid #d9e2ec; margin-bottom: 1.5rem; }
header strong { font-size: 1.1rem; }
nav a { margin-left: 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
td code { word-break: break-all; }
label { display: block; margin: .8rem 0 .2rem; }
input { font: inherit; padding: .4rem; width: 100%; box-sizing: border-box; }
button { font: inherit; padding: .4rem 1.2rem; margin-top: 1rem; cursor: pointer; }
.error { color: #ab091e; }
.badge { background: #e0e8f9; border-radius: .3rem; padding: 0 .4rem; margin-right: .3rem; }
form.inline { display: inline; }
form.inline button { margin: 0 0 0 1rem; }
`

/** What a page needs besides its body. */
export interface PageOptions {
  /** The document title and the header's product name. */
  title: string
  /** Header text on the left. */
  brand: string
  /** Links (or forms) shown at the top right. */
  nav?: SafeHtml
  /** Extra origins forms may post to (the other program of the example). */
  formOrigins?: readonly string[]
}

/**
 * No referrer, except on pages whose forms post to the other program (the app's sign-out button):
 * under `no-referrer` browsers send such a post with `Origin: null`, and the AuthAPI's CSRF check
 * needs the app's origin. `strict-origin` gives the origin only, never a path.
 */
function referrerPolicy(options: PageOptions): string {
  return (options.formOrigins?.length ?? 0) > 0 ? 'strict-origin' : 'no-referrer'
}

/**
 * Sends a full HTML page with a strict Content-Security-Policy (no scripts at all) and no caching,
 * since pages show personal data.
 */
export function sendPage(
  res: Response,
  status: number,
  options: PageOptions,
  body: SafeHtml,
): void {
  const formAction = ["'self'", ...(options.formOrigins ?? [])].join(' ')
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': referrerPolicy(options),
      'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    })
    .send(
      html`<!doctype html>
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>${options.title}</title>
            <style>
              ${new SafeHtml(STYLE)}
            </style>
          </head>
          <body>
            <header>
              <strong>${options.brand}</strong>
              <nav>${options.nav}</nav>
            </header>
            <main>${body}</main>
          </body>
        </html>`.value,
    )
}
