/**
 * The AuthAPI's HTML pages.
 *
 * @module
 */
import type { Response } from 'express'
import { html } from '../shared/html.js'
import { sendPage } from '../shared/page.js'

const PAGE = { title: 'Sign in: demo AuthAPI', brand: 'Demo AuthAPI' }

/** What the login form shows. */
export interface LoginFormState {
  /** Where to return after login (already checked to be safe), kept in a hidden field. */
  redirect: string | undefined
  username?: string
  error?: string
  /** Origins the browser may be redirected to after the form posts (for the CSP). */
  appOrigins: readonly string[]
}

/** Sends the login form. */
export function sendLoginPage(res: Response, status: number, state: LoginFormState): void {
  sendPage(
    res,
    status,
    { ...PAGE, formOrigins: state.appOrigins },
    html`<h1>Sign in</h1>
      ${state.error === undefined ? '' : html`<p class="error" role="alert">${state.error}</p>`}
      <form method="post" action="/login">
        <label for="username">Username</label>
        <input
          id="username"
          name="username"
          autocomplete="username"
          required
          value="${state.username ?? ''}"
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
        />
        ${
          state.redirect === undefined
            ? ''
            : html`<input type="hidden" name="redirect" value="${state.redirect}" />`
        }
        <button type="submit">Sign in</button>
      </form>`,
  )
}

/** Shown after login or logout when no redirect target was given. */
export function sendDonePage(res: Response, message: string): void {
  sendPage(
    res,
    200,
    PAGE,
    html`<h1>${message}</h1>
      <p><a href="/login">Sign in again</a></p>`,
  )
}

/** A refused form post (cross-site, or too many attempts). */
export function sendRefusedPage(res: Response, status: number, message: string): void {
  sendPage(
    res,
    status,
    PAGE,
    html`<h1>Refused</h1>
      <p class="error">${message}</p>`,
  )
}
