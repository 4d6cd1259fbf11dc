/**
 * `gate.backchannelLogout(options)` checks its options when it is called, at start-up: each
 * mistake throws an `AuthConfigError` naming the option.
 */
import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { AuthConfigError, authenticate } from '../../src/index.js'
import type { AuthenticateMiddleware } from '../../src/index.js'
import { createMemoryReplayStore, createMemoryRevocationStore } from '../../src/stores/memory.js'
import type { BackchannelLogoutOptions } from '../../src/logout/types.js'
import type { RevocationStore } from '../../src/stores/types.js'

const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .publicKey.export({ format: 'pem', type: 'spki' })
  .toString()

function gate(store?: RevocationStore): AuthenticateMiddleware {
  return authenticate({
    issuers: [{ issuer: 'https://op.example', audience: 'api', key: { pem } }],
    ...(store === undefined ? {} : { revocation: { store } }),
  })
}

const valid = (): BackchannelLogoutOptions => ({
  clientId: 'web',
  replayStore: createMemoryReplayStore(),
  maxTokenLifetime: 3600,
})

function refusal(
  options: unknown,
  store: RevocationStore | 'none' = createMemoryRevocationStore(),
) {
  try {
    gate(store === 'none' ? undefined : store).backchannelLogout(
      options as BackchannelLogoutOptions,
    )
  } catch (error) {
    expect(error).toBeInstanceOf(AuthConfigError)
    return error as AuthConfigError
  }
  throw new Error('accepted')
}

/** A store without revokeClaim (the contract's optional method). */
function subjectsOnly(): RevocationStore {
  const store = createMemoryRevocationStore()
  return {
    isRevoked: (query) => store.isRevoked(query),
    revokeToken: (jti, expiresAt) => store.revokeToken(jti, expiresAt),
    revokeSubject: (subject, before, ttl) => store.revokeSubject(subject, before, ttl),
  }
}

describe('backchannelLogout options', () => {
  it('accepts the required ones, with the gate’s revocation store', () => {
    expect(typeof gate(createMemoryRevocationStore()).backchannelLogout(valid())).toBe('function')
    const own = { ...valid(), store: createMemoryRevocationStore(), clientId: ['a', 'b'] }
    expect(typeof gate().backchannelLogout(own)).toBe('function')
  })

  it.each([
    ['no clientId', { clientId: undefined }, 'backchannelLogout.clientId'],
    ['an empty clientId', { clientId: '' }, 'backchannelLogout.clientId'],
    ['an empty clientId list', { clientId: [] }, 'backchannelLogout.clientId'],
    ['no replayStore', { replayStore: undefined }, 'backchannelLogout.replayStore'],
    ['no maxTokenLifetime', { maxTokenLifetime: undefined }, 'backchannelLogout.maxTokenLifetime'],
    ['a fractional lifetime', { maxTokenLifetime: 1.5 }, 'backchannelLogout.maxTokenLifetime'],
    ['an iatWindow of 0', { iatWindow: 0 }, 'backchannelLogout.iatWindow'],
    ['a timeout too long', { timeout: 60_001 }, 'backchannelLogout.timeout'],
    ['revokeBy jti', { revokeBy: 'jti' }, 'backchannelLogout.revokeBy'],
    ['requireTyp as a string', { requireTyp: 'yes' }, 'backchannelLogout.requireTyp'],
    ['a logger that is not a function', { logger: 'console' }, 'backchannelLogout.logger'],
    ['an unknown option', { clientID: 'web' }, 'backchannelLogout.clientID'],
  ])('refuses %s', (_name, changes, option) => {
    expect(refusal({ ...valid(), ...changes }).option).toBe(option)
  })

  it('refuses to start without a revocation store', () => {
    const error = refusal(valid(), 'none')
    expect(error.option).toBe('backchannelLogout.store')
    expect(error.message).toMatch(/no revocation store/)
  })

  it("refuses a store without revokeClaim unless revokeBy is 'sub'", () => {
    const error = refusal(valid(), subjectsOnly())
    expect(error.option).toBe('backchannelLogout.store')
    expect(error.message).toMatch(/revokeClaim.*revokeBy: 'sub'/)
    const bySubject = { ...valid(), revokeBy: 'sub' as const }
    expect(typeof gate(subjectsOnly()).backchannelLogout(bySubject)).toBe('function')
  })
})
