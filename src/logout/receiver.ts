/**
 * The back-channel logout receiver, free of any framework: from the request's form body to the
 * answer (OpenID Connect Back-Channel Logout 1.0 §2.5-2.8). The token is verified, then its session
 * (`sid`) or user (`sub`) revoked, then its `jti` recorded; only then is the answer 200.
 *
 * The order matters when a store fails: revoking first means a provider that retries after a 503
 * finds its `jti` not yet recorded and the revocation is made again (it is idempotent: the same
 * mark), whereas recording first would turn the retry into a "replay" and lose the logout.
 *
 * @module
 */
import { callStore, rememberOnce } from '../checks/store-calls.js'
import { ServiceUnavailableError } from '../errors.js'
import type { Pipeline } from '../pipeline/pipeline.js'
import { checkLogoutClaims } from './claims.js'
import type { LogoutClaims } from './claims.js'
import type { LogoutSettings } from './options.js'
import { LogoutTokenRejected, verifyLogoutSignature } from './verify.js'

/** The answer to one logout request. */
export interface LogoutAnswer {
  readonly status: 200 | 400 | 503
  readonly headers: Readonly<Record<string, string>>
  /** JSON for 400 and 503 (§2.8: `error` and `error_description`); none for 200. */
  readonly body: string | undefined
}

/** What the receiver reads of a request. */
export interface LogoutRequest {
  /** The `Content-Type` header, if any. */
  readonly contentType: string | undefined
  /** The body, decoded as the form it should be (or `undefined` when it could not be read). */
  readonly form: URLSearchParams | undefined
}

const NO_STORE = { 'Cache-Control': 'no-store' } as const

function badRequest(description: string): LogoutAnswer {
  return {
    status: 400,
    headers: { ...NO_STORE, 'Content-Type': 'application/json' },
    body: JSON.stringify({ error: 'invalid_request', error_description: description }),
  }
}

function unavailable(error: ServiceUnavailableError): LogoutAnswer {
  return {
    status: 503,
    headers: {
      ...NO_STORE,
      'Content-Type': 'application/json',
      'Retry-After': String(error.retryAfter ?? 5),
    },
    body: JSON.stringify({
      error: 'temporarily_unavailable',
      error_description: 'service unavailable',
    }),
  }
}

/** Whether a `Content-Type` is the form encoding §2.5 prescribes (parameters allowed). */
export function isFormContentType(contentType: string | undefined): boolean {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase()
  return type === 'application/x-www-form-urlencoded'
}

/** The one `logout_token` parameter of the form (§2.5), or a refusal. */
function logoutToken(request: LogoutRequest): string {
  if (!isFormContentType(request.contentType) || request.form === undefined) {
    throw new LogoutTokenRejected('expected an application/x-www-form-urlencoded body')
  }
  const tokens = request.form.getAll('logout_token')
  if (tokens.length !== 1 || tokens[0] === '') {
    throw new LogoutTokenRejected('expected exactly one logout_token parameter')
  }
  return tokens[0]!
}

/** Makes the receiver of one gate: its issuers, keys and clock, and the checked settings. */
export function createLogoutReceiver(pipeline: Pipeline, settings: LogoutSettings) {
  const { config } = pipeline
  const log = settings.logger

  async function revoke({ sid, sub, iat }: LogoutClaims, nowSeconds: number) {
    // Every token of the session (or user) issued up to this second, the second included.
    const before = Math.floor(Math.max(iat, nowSeconds)) + 1
    const ttl = settings.maxTokenLifetime
    const { store, timeout, revokeBy } = settings
    if (revokeBy === 'sid' && sid !== undefined) {
      await callStore(
        () => store.revokeClaim!('sid', sid, before, ttl),
        timeout,
        'session revocation',
      )
    } else if (sub !== undefined) {
      await callStore(() => store.revokeSubject(sub, before, ttl), timeout, 'subject revocation')
    } else {
      throw new LogoutTokenRejected("no 'sub' to revoke (revokeBy: 'sub')")
    }
  }

  async function remember({ iss, jti, iat }: LogoutClaims, clockTolerance: number) {
    const key = `backchannel-logout:${iss} ${jti}`
    const expiresAt = Math.ceil(iat + settings.iatWindow + clockTolerance)
    const fresh = await rememberOnce(settings.replayStore, key, expiresAt, settings.timeout)
    if (!fresh) throw new LogoutTokenRejected('logout token replayed')
  }

  async function receive(request: LogoutRequest): Promise<LogoutAnswer> {
    try {
      const token = logoutToken(request)
      const { decoded, issuer } = await verifyLogoutSignature(pipeline, token, settings.requireTyp)
      const now = config.now() / 1000
      const clockTolerance = issuer.policy.clockTolerance
      const claims = checkLogoutClaims(decoded.payload, {
        clientIds: settings.clientIds,
        now,
        iatWindow: settings.iatWindow,
        clockTolerance,
      })
      await revoke(claims, now)
      await remember(claims, clockTolerance)
      return { status: 200, headers: NO_STORE, body: undefined }
    } catch (error) {
      if (error instanceof LogoutTokenRejected) return badRequest(error.message)
      // Anything else (a store's or key set's failure, or a bug) is never a 200: the provider
      // may retry, and the revocation is made again.
      const failure =
        error instanceof ServiceUnavailableError
          ? error
          : new ServiceUnavailableError('ERR_AUTH_STORE_UNAVAILABLE', 'logout failed', {
              cause: error,
            })
      log?.(`jwt-gate: back-channel logout answered 503 (${failure.message})`, failure)
      return unavailable(failure)
    }
  }

  return { receive }
}

/** The receiver {@link createLogoutReceiver} makes. */
export type LogoutReceiver = ReturnType<typeof createLogoutReceiver>
