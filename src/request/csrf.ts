/**
 * Cross-site request forgery check for cookie-borne tokens. A browser attaches cookies to
 * cross-site requests too, so a state-changing request authenticated by the cookie must show that
 * it came from the app's own pages. Bearer tokens in a header are never sent by a browser on its
 * own, so they are not checked.
 *
 * The evidence is what browsers send on every request and pages cannot forge: `Sec-Fetch-Site`
 * (Fetch Metadata) and, failing that, `Origin`. A request with neither header does not come from
 * a current browser and passes.
 *
 * @module
 */
import { CsrfRejectedError } from '../errors.js'
import { readHeader } from './headers.js'
import type { HeaderSource } from './headers.js'

/** What the CSRF check reads from the request. */
export interface CsrfRequest extends HeaderSource {
  method?: string
}

/** Resolved CSRF settings. */
export interface CsrfPolicy {
  /** Origins (`https://app.example.org`) allowed to send cookie-authenticated unsafe requests. */
  readonly trustedOrigins: ReadonlySet<string>
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

function header(req: CsrfRequest, name: string, label: string): string | undefined {
  const value = readHeader(req, name, label)
  return Array.isArray(value) ? value[0] : value
}

/** Throws a 403 `ERR_AUTH_CSRF_REJECTED` for a cross-site unsafe request. */
export function checkCsrf(req: CsrfRequest, policy: CsrfPolicy): void {
  // A caller that does not say the method gets the check, as for an unsafe one (fail closed).
  if (req.method !== undefined && SAFE_METHODS.has(req.method.toUpperCase())) return
  const origin = header(req, 'origin', 'Origin')
  const trusted = origin !== undefined && policy.trustedOrigins.has(origin)
  const site = header(req, 'sec-fetch-site', 'Sec-Fetch-Site')
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'none' || trusted) return
    throw new CsrfRejectedError()
  }
  if (origin === undefined || trusted) return
  const host = header(req, 'host', 'Host')
  let originHost: string | undefined
  try {
    originHost = origin === 'null' ? undefined : new URL(origin).host
  } catch {
    originHost = undefined
  }
  if (originHost === undefined || originHost !== host) throw new CsrfRejectedError()
}
