/**
 * Revocation cannot be sidestepped by what a token leaves out: a subject-wide logout also refuses
 * tokens without `iat` (they cannot prove they are newer), and a revoked `jti` is refused whatever
 * else the token carries. Run against the memory store and, when Redis is up, the Redis store.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthErrorCode, RevocationStore } from '../../src/index.js'
import { createMemoryRevocationStore } from '../../src/stores/memory.js'
import { createRedisRevocationStore } from '../../src/stores/redis/index.js'
import { deleteRedisPrefix } from '../faults/helpers/redis-cleanup.js'
import { skipWithout } from '../faults/helpers/reachable.js'
import { expectPassed, expectAttackRejected, send, startServer } from './helpers/harness.js'
import type { AttackServer } from './helpers/harness.js'
import { NOW_S } from '../helpers/tokens.js'
import { target, tokenFor } from './helpers/targets.js'
import type { Target } from './helpers/targets.js'

const REVOKED: AuthErrorCode[] = ['ERR_AUTH_TOKEN_REVOKED']
const noRedis = await skipWithout('Redis', 6379)
const base = target('ed25519-raw')
// Redis expires marks on its real clock; the app's clock is the fixed NOW, so marks are set far
// enough ahead of both.
const FAR = Math.max(NOW_S, Math.floor(Date.now() / 1000)) + 86_400

const prefix = `jwt-gate-attacks-${randomBytes(4).toString('hex')}:`
const stores: [string, () => RevocationStore, boolean][] = [
  ['memory', () => createMemoryRevocationStore({ clock: () => new Date(NOW_S * 1000) }), false],
  [
    'redis',
    () =>
      createRedisRevocationStore({
        redis: 'redis://127.0.0.1:6379',
        prefix,
        channel: false,
      }),
    noRedis,
  ],
]

describe.each(stores)('revocation bypass attempts [%s]', (name, make, skip) => {
  let store: RevocationStore
  let srv: AttackServer
  beforeAll(async () => {
    if (skip) return
    store = make()
    const t: Target = {
      ...base,
      name: 'revocation',
      options: () => ({ ...base.options(), revocation: { store } }),
    }
    srv = await startServer(t)
    // A Redis client fails fast until it has connected: retry the setup for a bounded time.
    for (let attempt = 0; ; attempt++) {
      try {
        await store.revokeToken('revoked-jti', FAR)
        await store.revokeSubject('mallory', NOW_S, FAR - NOW_S)
        break
      } catch (error) {
        if (attempt >= 50) throw error
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  })
  afterAll(async () => {
    if (skip) return
    await srv.close()
    await store.close?.()
    if (name === 'redis') await deleteRedisPrefix(prefix)
  })

  const cases: [string, Record<string, unknown>, AuthErrorCode[] | 'pass'][] = [
    ['control: an unrevoked token passes', { jti: 'fresh-jti' }, 'pass'],
    ['a revoked jti', { jti: 'revoked-jti' }, REVOKED],
    ['a revoked jti on a token without iat', { jti: 'revoked-jti', iat: undefined }, REVOKED],
    [
      'a revoked subject, token issued before the mark',
      { sub: 'mallory', iat: NOW_S - 60, nbf: undefined },
      REVOKED,
    ],
    [
      'a revoked subject, token without iat',
      { sub: 'mallory', iat: undefined, nbf: undefined },
      REVOKED,
    ],
    [
      'a revoked subject, token without iat or jti',
      { sub: 'mallory', iat: undefined, nbf: undefined, jti: undefined },
      REVOKED,
    ],
    [
      'control: the revoked subject with a token issued at the mark passes',
      { sub: 'mallory', iat: NOW_S, nbf: undefined },
      'pass',
    ],
  ]
  for (const [name, claims, expected] of cases) {
    it.skipIf(skip)(name, async () => {
      const before = srv.ran()
      const res = await send(srv, { token: tokenFor(base, { claims }) })
      if (expected === 'pass') {
        const subject = typeof claims.sub === 'string' ? claims.sub : 'alice'
        expectPassed(res, srv, before, subject)
      } else expectAttackRejected(res, srv, before, expected)
      expect(res.status).not.toBe(503)
    })
  }
})
