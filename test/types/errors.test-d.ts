import { describe, expectTypeOf, it } from 'vitest'
import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import type {
  CredentialsRequiredError,
  CsrfRejectedError,
  InsufficientScopeError,
  InvalidRequestError,
  ServerMisconfiguredError,
} from '../../src/index.js'
import {
  isAuthError,
  InvalidTokenError,
  ServiceUnavailableError,
  type AuthErrorCode,
  type JwtGateError,
} from '../../src/index.js'

describe('the error union', () => {
  it('narrows to the class by a switch on code', () => {
    const describe = (error: JwtGateError): string => {
      switch (error.code) {
        case 'ERR_AUTH_TOKEN_MISSING':
          expectTypeOf(error).toEqualTypeOf<CredentialsRequiredError>()
          return 'log in'
        case 'ERR_AUTH_SCOPE_INSUFFICIENT':
          expectTypeOf(error).toEqualTypeOf<InsufficientScopeError>()
          return error.scope?.join(' ') ?? ''
        case 'ERR_AUTH_CSRF_REJECTED':
          expectTypeOf(error).toEqualTypeOf<CsrfRejectedError>()
          return 'cross-site'
        case 'ERR_AUTH_STORE_UNAVAILABLE':
          expectTypeOf(error).toEqualTypeOf<ServiceUnavailableError>()
          return String(error.retryAfter)
        case 'ERR_AUTH_GATE_MISSING':
          expectTypeOf(error).toEqualTypeOf<ServerMisconfiguredError>()
          return 'mount authenticate()'
        case 'ERR_AUTH_HEADER_MALFORMED':
          expectTypeOf(error).toEqualTypeOf<InvalidRequestError>()
          return 'bad header'
        case 'ERR_AUTH_TOKEN_EXPIRED':
          expectTypeOf(error).toEqualTypeOf<InvalidTokenError>()
          return 'expired'
        default:
          return error.message
      }
    }
    expectTypeOf(describe).parameter(0).toEqualTypeOf<JwtGateError>()
  })

  it('narrows after isAuthError, as in the docs/errors.md example', () => {
    const app = express()
    app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
      if (!isAuthError(err)) return next(err)
      expectTypeOf(err).toEqualTypeOf<JwtGateError>()
      switch (err.code) {
        case 'ERR_AUTH_TOKEN_EXPIRED':
          return res.status(401).set(err.headers).json({ reason: 'session expired, log in again' })
        case 'ERR_AUTH_SCOPE_INSUFFICIENT':
          expectTypeOf(err).toEqualTypeOf<InsufficientScopeError>()
          return res.status(403).set(err.headers).json({ needed: err.scope })
        default:
          return next(err)
      }
    })
  })

  it('keeps the documented codes, each in one class', () => {
    expectTypeOf<AuthErrorCode>().toEqualTypeOf<
      | 'ERR_AUTH_TOKEN_MISSING'
      | 'ERR_AUTH_DPOP_REQUIRED'
      | 'ERR_AUTH_DPOP_BINDING_MISMATCH'
      | 'ERR_AUTH_TOKEN_INACTIVE'
      | 'ERR_AUTH_INTROSPECTION_UNAVAILABLE'
      | 'ERR_AUTH_DPOP_PROOF_INVALID'
      | 'ERR_AUTH_DPOP_REPLAYED'
      | 'ERR_AUTH_DPOP_NONCE_REQUIRED'
      | 'ERR_AUTH_STEP_UP_REQUIRED'
      | 'ERR_AUTH_HEADER_MALFORMED'
      | 'ERR_AUTH_CREDENTIALS_AMBIGUOUS'
      | 'ERR_AUTH_COOKIE_SIGNATURE_INVALID'
      | 'ERR_AUTH_TOKEN_TOO_LONG'
      | 'ERR_AUTH_TOKEN_MALFORMED'
      | 'ERR_AUTH_TOKEN_HEADER_INVALID'
      | 'ERR_AUTH_ALG_NOT_ALLOWED'
      | 'ERR_AUTH_ISSUER_UNTRUSTED'
      | 'ERR_AUTH_KEY_NOT_FOUND'
      | 'ERR_AUTH_SIGNATURE_INVALID'
      | 'ERR_AUTH_TOKEN_EXPIRED'
      | 'ERR_AUTH_TOKEN_NOT_YET_VALID'
      | 'ERR_AUTH_TOKEN_ISSUED_IN_FUTURE'
      | 'ERR_AUTH_TOKEN_TOO_OLD'
      | 'ERR_AUTH_AUDIENCE_INVALID'
      | 'ERR_AUTH_CLAIMS_INVALID'
      | 'ERR_AUTH_TOKEN_REVOKED'
      | 'ERR_AUTH_USER_UNKNOWN'
      | 'ERR_AUTH_USER_DISABLED'
      | 'ERR_AUTH_CERTIFICATE_MISMATCH'
      | 'ERR_AUTH_ROLE_INSUFFICIENT'
      | 'ERR_AUTH_SCOPE_INSUFFICIENT'
      | 'ERR_AUTH_CLAIM_MISMATCH'
      | 'ERR_AUTH_POLICY_DENIED'
      | 'ERR_AUTH_KEYS_UNAVAILABLE'
      | 'ERR_AUTH_STORE_UNAVAILABLE'
      | 'ERR_AUTH_ISSUER_UNAVAILABLE'
      | 'ERR_AUTH_COOKIE_PARSER_MISSING'
      | 'ERR_AUTH_GATE_MISSING'
      | 'ERR_AUTH_ISSUER_MISCONFIGURED'
      | 'ERR_AUTH_CSRF_REJECTED'
    >()
    // No two classes share a code, so the switch above can narrow.
    expectTypeOf<InvalidTokenError['code'] & InsufficientScopeError['code']>().toBeNever()
    expectTypeOf<InvalidRequestError['code'] & InvalidTokenError['code']>().toBeNever()
    expectTypeOf<ServiceUnavailableError['code'] & ServerMisconfiguredError['code']>().toBeNever()
  })

  it('refuses a code of another class at construction', () => {
    // @ts-expect-error ERR_AUTH_TOKEN_MISSING belongs to CredentialsRequiredError
    void new InvalidTokenError('ERR_AUTH_TOKEN_MISSING', 'no credentials provided')
    // @ts-expect-error ERR_AUTH_KEY_NOT_FOUND is a 401, not a 503
    void new ServiceUnavailableError('ERR_AUTH_KEY_NOT_FOUND', 'no matching key')
  })
})
