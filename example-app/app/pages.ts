/**
 * The protected app's HTML pages. Every value from a token is interpolated through the escaping
 * `html` tag.
 *
 * @module
 */
import type { Response } from 'express'
import type { AuthContext } from '../../src/index.js'
import { html, type SafeHtml } from '../shared/html.js'
import { sendPage } from '../shared/page.js'

/** Links the pages need. */
export interface PageLinks {
  /** The AuthAPI login URL, with the redirect back to the current page. */
  login: string
  /** The AuthAPI logout endpoint. */
  logout: string
  /** Where the AuthAPI sends the browser after logout. */
  afterLogout: string
  /** The AuthAPI's origin, which the sign-out form posts to. */
  authOrigin: string
}

function nav(auth: AuthContext | undefined, links: PageLinks): SafeHtml {
  const account =
    auth === undefined
      ? html`<a href="${links.login}">Sign in</a>`
      : html`<form class="inline" method="post" action="${links.logout}">
          <input type="hidden" name="redirect" value="${links.afterLogout}" />
          <button type="submit">Sign out</button>
        </form>`
  return html`<a href="/">Home</a><a href="/me">Me</a><a href="/admin">Admin</a> ${account}`
}

function send(
  res: Response,
  status: number,
  title: string,
  auth: AuthContext | undefined,
  links: PageLinks,
  body: SafeHtml,
): void {
  sendPage(
    res,
    status,
    {
      title: `${title}: jwt-gate example`,
      brand: 'jwt-gate example app',
      nav: nav(auth, links),
      formOrigins: [links.authOrigin],
    },
    body,
  )
}

function roleBadges(roles: readonly string[]): SafeHtml {
  return roles.length === 0
    ? html`<em>none</em>`
    : html`${roles.map((role) => html`<span class="badge">${role}</span>`)}`
}

function displayName(auth: AuthContext): string {
  const name = auth.user?.name ?? auth.claims['name']
  return typeof name === 'string' && name !== '' ? name : auth.subject
}

/** `/`: who am I, or a link to sign in. */
export function sendHomePage(res: Response, auth: AuthContext | undefined, links: PageLinks): void {
  const body =
    auth === undefined
      ? html`<h1>Welcome</h1>
          <p>You are not signed in.</p>
          <p><a href="${links.login}">Sign in at the AuthAPI</a></p>`
      : html`<h1>Hello, ${displayName(auth)}</h1>
          <p>
            You are signed in as <strong data-testid="subject">${auth.subject}</strong> with the
            roles ${roleBadges(auth.roles)}.
          </p>
          <p><a href="/me">See your token's claims</a></p>`
  send(res, 200, 'Home', auth, links, body)
}

function formatTime(value: unknown): string {
  return typeof value === 'number' ? `${new Date(value * 1000).toISOString()} (${value})` : 'n/a'
}

/** `/me`: the verified identity and every claim. */
export function sendMePage(res: Response, auth: AuthContext, links: PageLinks): void {
  const rows = Object.entries(auth.claims as Record<string, unknown>).map(
    ([name, value]) =>
      html`<tr>
        <th>${name}</th>
        <td><code>${JSON.stringify(value)}</code></td>
      </tr>`,
  )
  send(
    res,
    200,
    'Me',
    auth,
    links,
    html`<h1>Signed in as <span data-testid="subject">${auth.subject}</span></h1>
      <table>
        <tr>
          <th>Name</th>
          <td>${displayName(auth)}</td>
        </tr>
        <tr>
          <th>Issuer</th>
          <td>${auth.issuer ?? '(none)'}</td>
        </tr>
        <tr>
          <th>Roles</th>
          <td data-testid="roles">${roleBadges(auth.roles)}</td>
        </tr>
        <tr>
          <th>Token from</th>
          <td>${auth.source}</td>
        </tr>
        <tr>
          <th>Expires</th>
          <td>${formatTime(auth.claims['exp'])}</td>
        </tr>
      </table>
      <h2>Claims</h2>
      <table>
        ${rows}
      </table>`,
  )
}

/** `/admin`: only for the `admin` role. */
export function sendAdminPage(res: Response, auth: AuthContext, links: PageLinks): void {
  send(
    res,
    200,
    'Admin',
    auth,
    links,
    html`<h1>Admin area</h1>
      <p>
        Welcome, <strong>${auth.subject}</strong>. Your roles ${roleBadges(auth.roles)} include
        <code>admin</code>.
      </p>`,
  )
}

/** 403: signed in, but not allowed. */
export function sendForbiddenPage(
  res: Response,
  auth: AuthContext | undefined,
  links: PageLinks,
  required: string,
): void {
  send(
    res,
    403,
    'Access denied',
    auth,
    links,
    html`<h1>403: access denied</h1>
      <p>
        You are signed in as <strong>${auth?.subject ?? 'unknown'}</strong>, but this page needs
        ${required}.
      </p>
      <p>Your roles: ${roleBadges(auth?.roles ?? [])}</p>
      <p><a href="/">Back home</a></p>`,
  )
}

/** Any other failure (a 400, or a 503 when keys or the user database are unavailable). */
export function sendErrorPage(
  res: Response,
  status: number,
  message: string,
  links: PageLinks,
): void {
  send(
    res,
    status,
    'Error',
    undefined,
    links,
    html`<h1>${status}</h1>
      <p class="error">${message}</p>
      <p><a href="/">Back home</a></p>`,
  )
}
