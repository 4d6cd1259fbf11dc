import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'
import {
  ISSUER,
  T0,
  bearer,
  cacheToken,
  countingClaims,
  ed25519Pair,
  movableClock,
  signToken,
} from './helpers.js'
import type { MovableClock } from './helpers.js'

const pair = ed25519Pair()

function gate(clock: MovableClock, extra: Partial<AuthenticateOptions> = {}, tolerance = 0) {
  const counter = countingClaims()
  const authenticator = createAuthenticator({
    issuers: [
      {
        issuer: ISSUER,
        key: { ed25519: pair.raw },
        clockTolerance: tolerance,
        claims: counter.schema,
      },
    ],
    clock,
    ...extra,
  })
  return { authenticator, counter }
}

describe('verified-token cache: the time window is re-checked on every hit', () => {
  it('serves a repeated token from the cache while it is valid', async () => {
    const clock = movableClock()
    const { authenticator, counter } = gate(clock)
    const token = await signToken(pair.privateKey)
    for (let i = 0; i < 5; i++) {
      const auth = await authenticator.authenticate(bearer(token))
      expect(auth?.subject).toBe('alice')
    }
    // Verified twice (the cache admits a token on its second verification), then served from it.
    expect(counter.verifications).toBe(2)
    expect(authenticator.cacheSize).toBe(1)
  })

  it('stops a cached token the moment its exp passes', async () => {
    const clock = movableClock()
    const { authenticator, counter } = gate(clock)
    const token = await signToken(pair.privateKey, { exp: T0 + 60 })
    await cacheToken(authenticator, token)
    expect(authenticator.cacheSize).toBe(1)
    clock.set(T0 + 59.999)
    await expect(authenticator.authenticate(bearer(token))).resolves.toMatchObject({
      subject: 'alice',
    })
    expect(counter.verifications).toBe(2)
    clock.set(T0 + 60)
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_TOKEN_EXPIRED',
      status: 401,
    })
    expect(authenticator.cacheSize).toBe(0)
    clock.set(T0 + 3600)
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_TOKEN_EXPIRED',
    })
    expect(authenticator.cacheSize).toBe(0)
  })

  it('honours the clock tolerance on expiry exactly as an uncached verification does', async () => {
    const clock = movableClock()
    const { authenticator } = gate(clock, {}, 5)
    const token = await signToken(pair.privateKey, { exp: T0 + 60 })
    await cacheToken(authenticator, token)
    expect(authenticator.cacheSize).toBe(1)
    clock.set(T0 + 64)
    await expect(authenticator.authenticate(bearer(token))).resolves.toBeDefined()
    clock.set(T0 + 65)
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_TOKEN_EXPIRED',
    })
  })

  it('refuses a cached token when the clock steps back before its nbf', async () => {
    const clock = movableClock()
    const { authenticator, counter } = gate(clock)
    const token = await signToken(pair.privateKey, { nbf: T0, iat: T0 })
    await cacheToken(authenticator, token)
    expect(authenticator.cacheSize).toBe(1)
    // An NTP step backwards: the entry is still held, but the hit must re-check nbf.
    clock.set(T0 - 10)
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_TOKEN_NOT_YET_VALID',
      status: 401,
    })
    expect(counter.verifications).toBe(2)
    clock.set(T0)
    await expect(authenticator.authenticate(bearer(token))).resolves.toBeDefined()
  })

  it('never keeps an entry longer than the configured ttl', async () => {
    const clock = movableClock()
    const { authenticator, counter } = gate(clock, { cache: { ttl: 30 } })
    const token = await signToken(pair.privateKey, { exp: T0 + 3600 })
    await cacheToken(authenticator, token)
    clock.set(T0 + 29.999)
    await authenticator.authenticate(bearer(token))
    expect(counter.verifications).toBe(2)
    clock.set(T0 + 30)
    await authenticator.authenticate(bearer(token))
    expect(counter.verifications).toBe(3)
    // Re-verified and cached again at once (the admission filter still knows the token), from the
    // new time: another full ttl.
    expect(authenticator.cacheSize).toBe(1)
    clock.set(T0 + 59.999)
    await authenticator.authenticate(bearer(token))
    expect(counter.verifications).toBe(3)
    clock.set(T0 + 60)
    await authenticator.authenticate(bearer(token))
    expect(counter.verifications).toBe(4)
  })

  it('does not cache a token without exp longer than the ttl', async () => {
    const clock = movableClock()
    const counter = countingClaims()
    const authenticator = createAuthenticator({
      issuers: [
        {
          issuer: ISSUER,
          key: { ed25519: pair.raw },
          requireExpiry: false,
          claims: counter.schema,
        },
      ],
      clock,
      cache: { ttl: 10 },
    })
    const token = await signToken(pair.privateKey, { exp: undefined })
    await cacheToken(authenticator, token)
    expect(authenticator.cacheSize).toBe(1)
    clock.set(T0 + 10)
    await authenticator.authenticate(bearer(token))
    expect(counter.verifications).toBe(3)
  })
})

describe('verified-token cache: maxTokenAge and iat on a hit', () => {
  // A hit re-checks every time rule, not only exp and nbf: a token must not outlive maxTokenAge
  // (or come back with an iat in the future) because it sits in the cache.
  it('refuses a cached token once it is older than maxTokenAge', async () => {
    const clock = movableClock()
    const counter = countingClaims()
    const authenticator = createAuthenticator({
      issuers: [
        {
          issuer: ISSUER,
          key: { ed25519: pair.raw },
          clockTolerance: 0,
          maxTokenAge: 60,
          claims: counter.schema,
        },
      ],
      clock,
    })
    const token = await signToken(pair.privateKey, { iat: T0, exp: T0 + 3600 })
    await cacheToken(authenticator, token)
    expect(authenticator.cacheSize).toBe(1)
    clock.set(T0 + 61)
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_TOKEN_TOO_OLD',
    })
  })

  it('refuses a cached token whose iat is in the future after the clock steps back', async () => {
    const clock = movableClock()
    const { authenticator } = gate(clock)
    const token = await signToken(pair.privateKey, { iat: T0 })
    await cacheToken(authenticator, token)
    expect(authenticator.cacheSize).toBe(1)
    clock.set(T0 - 10)
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_TOKEN_ISSUED_IN_FUTURE',
    })
  })

  it('refuses the same token without the cache once it is older than maxTokenAge', async () => {
    const clock = movableClock()
    const authenticator = createAuthenticator({
      issuers: [{ issuer: ISSUER, key: { ed25519: pair.raw }, clockTolerance: 0, maxTokenAge: 60 }],
      clock,
      cache: false,
    })
    const token = await signToken(pair.privateKey, { iat: T0, exp: T0 + 3600 })
    await authenticator.authenticate(bearer(token))
    clock.set(T0 + 61)
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'ERR_AUTH_TOKEN_TOO_OLD',
    })
  })
})
