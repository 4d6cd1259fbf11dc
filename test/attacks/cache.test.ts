/**
 * The verified-token cache must never extend what a token may do: every cached hit is still held to
 * the time window, the token's maximum age, revocation, the user check and the current key
 * (RFC 7519 §4.1.4-4.1.6; OWASP "JWT revocation"). Clocks are fixed and moved by hand.
 */
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../src/index.js'
import type { AuthenticateOptions, AuthErrorCode, UserRecord } from '../../src/index.js'
import { createMemoryRevocationStore, createMemoryUserStore } from '../../src/stores/memory.js'
import { forge } from './helpers/forge.js'
import { issuerKeys } from './helpers/keys.js'
import { ISSUER, NOW, NOW_S } from '../helpers/tokens.js'

function setup(extra: Partial<AuthenticateOptions> = {}, maxTokenAge?: number) {
  let now = NOW
  const gate = createAuthenticator({
    issuers: [
      {
        issuer: ISSUER,
        key: { secret: issuerKeys.secret, encoding: 'utf8' },
        ...(maxTokenAge === undefined ? {} : { maxTokenAge }),
      },
    ],
    clock: () => now,
    ...extra,
  })
  return {
    gate,
    advance: (seconds: number): void => {
      now = new Date(now.getTime() + seconds * 1000)
    },
    outcome: (token: string) =>
      gate.authenticate({ headers: { authorization: `Bearer ${token}` } }).then(
        (auth) => auth?.subject,
        (error: { code: AuthErrorCode }) => error.code,
      ),
  }
}

const token = (claims: Record<string, unknown>): string =>
  forge({
    header: { alg: 'HS256' },
    payload: { iss: ISSUER, sub: 'alice', iat: NOW_S - 10, exp: NOW_S + 3600, ...claims },
    sign: { alg: 'HS256', key: issuerKeys.secret },
  })

describe('the verified-token cache never extends a token', () => {
  it('a cached token stops passing when it expires', async () => {
    const { gate, advance, outcome } = setup()
    const t = token({ exp: NOW_S + 30 })
    // Twice: the cache admits a token on its second verification.
    expect(await outcome(t)).toBe('alice')
    expect(await outcome(t)).toBe('alice')
    expect(gate.cacheSize).toBe(1)
    advance(36)
    expect(await outcome(t)).toBe('ERR_AUTH_TOKEN_EXPIRED')
  })

  // Regression: cached hits used to re-check exp and nbf only, so a token seen once within
  // maxTokenAge kept passing for up to cache.ttl afterwards.
  it('maxTokenAge still applies to a cached token', async () => {
    const { advance, outcome } = setup({}, 60)
    const t = token({ iat: NOW_S - 50 })
    expect(await outcome(t)).toBe('alice')
    expect(await outcome(t)).toBe('alice')
    advance(200)
    expect(await outcome(t)).toBe('ERR_AUTH_TOKEN_TOO_OLD')
  })

  it('maxTokenAge applies when the cache is off (the reference behaviour)', async () => {
    const { advance, outcome } = setup({ cache: false }, 60)
    const t = token({ iat: NOW_S - 50 })
    expect(await outcome(t)).toBe('alice')
    expect(await outcome(t)).toBe('alice')
    advance(200)
    expect(await outcome(t)).toBe('ERR_AUTH_TOKEN_TOO_OLD')
  })

  it('a token revoked after it was cached is refused at once', async () => {
    const revocation = createMemoryRevocationStore({ clock: () => NOW })
    const { outcome } = setup({ revocation: { store: revocation } })
    const t = token({ jti: 'j-1' })
    expect(await outcome(t)).toBe('alice')
    expect(await outcome(t)).toBe('alice')
    await revocation.revokeToken('j-1', NOW_S + 3600)
    expect(await outcome(t)).toBe('ERR_AUTH_TOKEN_REVOKED')
  })

  it('a subject revoked after its token was cached is refused at once', async () => {
    const revocation = createMemoryRevocationStore({ clock: () => NOW })
    const { outcome } = setup({ revocation: { store: revocation } })
    const t = token({})
    expect(await outcome(t)).toBe('alice')
    expect(await outcome(t)).toBe('alice')
    await revocation.revokeSubject('alice', NOW_S, 3600)
    expect(await outcome(t)).toBe('ERR_AUTH_TOKEN_REVOKED')
  })

  it('a user disabled or deleted after the token was cached is refused at once', async () => {
    const users = createMemoryUserStore([{ username: 'alice', roles: ['user'] }])
    const { outcome } = setup({ users: { store: users } })
    const t = token({})
    expect(await outcome(t)).toBe('alice')
    expect(await outcome(t)).toBe('alice')
    users.setUser({ username: 'alice', roles: ['user'], disabled: true } satisfies UserRecord)
    expect(await outcome(t)).toBe('ERR_AUTH_USER_DISABLED')
    users.deleteUser('alice')
    expect(await outcome(t)).toBe('ERR_AUTH_USER_UNKNOWN')
  })

  it('a failure is never cached: the same bad token is checked again every time', async () => {
    const { gate, advance, outcome } = setup()
    const early = token({ nbf: NOW_S + 60 })
    expect(await outcome(early)).toBe('ERR_AUTH_TOKEN_NOT_YET_VALID')
    expect(await outcome(early)).toBe('ERR_AUTH_TOKEN_NOT_YET_VALID')
    expect(gate.cacheSize).toBe(0)
    advance(61)
    expect(await outcome(early)).toBe('alice')
  })
})
