import { describe, expect, it } from 'vitest'
import {
  AuthError,
  CredentialsRequiredError,
  CsrfRejectedError,
  InsufficientScopeError,
  InvalidTokenError,
  isAuthError,
  ServiceUnavailableError,
} from '../../src/index.js'
import { buildChallenge } from '../../src/challenge.js'

describe('errors', () => {
  it('carry what Express default handler reads', () => {
    const error = new InvalidTokenError('ERR_AUTH_TOKEN_EXPIRED', 'token expired')
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({
      status: 401,
      statusCode: 401,
      expose: true,
      name: 'InvalidTokenError',
    })
    expect(error.headers).toEqual({
      'WWW-Authenticate':
        'Bearer realm="api", error="invalid_token", error_description="token expired"',
    })
  })

  it('follow the realm set by the middleware', () => {
    const error = new CredentialsRequiredError()
    error.realm = 'cluster'
    expect(error.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="cluster"' })
  })

  it('name the needed scopes in insufficient_scope challenges', () => {
    const error = new InsufficientScopeError('ERR_AUTH_SCOPE_INSUFFICIENT', 'insufficient scope', {
      scope: ['a', 'b'],
    })
    expect(error.status).toBe(403)
    expect(error.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="a b"',
    )
  })

  it('send Retry-After and no challenge on 503', () => {
    const error = new ServiceUnavailableError(
      'ERR_AUTH_STORE_UNAVAILABLE',
      'user store unavailable',
    )
    expect(error.expose).toBe(false)
    expect(error.headers).toEqual({ 'Retry-After': '5' })
  })

  it('refuse a cross-site request with 403 and a challenge without error (RFC 6750 §3.1)', () => {
    const error = new CsrfRejectedError()
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({
      code: 'ERR_AUTH_CSRF_REJECTED',
      status: 403,
      error: undefined,
      name: 'CsrfRejectedError',
    })
    expect(error.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="api"' })
  })

  it('never let quotes or control characters break the challenge', () => {
    expect(buildChallenge('a"b\\c', 'invalid_token', { description: 'x\r\ny"' })).toBe(
      'Bearer realm="a?b?c", error="invalid_token", error_description="x??y?"',
    )
  })

  it('are recognised across module copies by shape', () => {
    expect(isAuthError({ code: 'ERR_AUTH_TOKEN_MISSING', status: 401 })).toBe(true)
    expect(isAuthError(new Error('x'))).toBe(false)
    expect(isAuthError({ code: 'ERR_JWT_EXPIRED', status: 401 })).toBe(false)
  })
})
