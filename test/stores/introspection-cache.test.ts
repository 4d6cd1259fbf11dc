/**
 * The introspection cache contract (`IntrospectionCache`), for the memory and the Redis
 * implementation: a value comes back until its TTL ends, a missing key is undefined, and the
 * Redis one keeps its keys under its prefix with that TTL (read with PTTL: no waiting).
 */
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryIntrospectionCache } from '../../src/stores/memory.js'
import { createRedisIntrospectionCache } from '../../src/stores/redis/index.js'
import type { IntrospectionCache } from '../../src/stores/redis/index.js'
import { connectRedis, deleteKeys } from './redis-helpers.js'
import { serviceAvailable, uniqueName } from './services.js'

const available = await serviceAvailable('redis', 'Redis introspection cache')

let admin: Redis
const prefix = `${uniqueName('jwtg-intro')}:`

beforeAll(async () => {
  if (available) admin = await connectRedis()
})
afterAll(async () => {
  if (!available) return
  await deleteKeys(admin, prefix)
  admin.disconnect()
})

function contract(name: string, make: () => Promise<IntrospectionCache>): void {
  describe(`${name} introspection cache`, () => {
    it('returns what was set, and undefined for a missing key', async () => {
      const cache = await make()
      await cache.set('k1', '{"until":1}', 60_000)
      expect(await cache.get('k1')).toBe('{"until":1}')
      expect(await cache.get('k2')).toBeUndefined()
      await cache.set('k1', 'second', 60_000)
      expect(await cache.get('k1')).toBe('second')
      await cache.close?.()
      await cache.close?.()
    })
  })
}

contract('memory', () => Promise.resolve(createMemoryIntrospectionCache()))
describe.runIf(available)('with Redis', () => {
  contract('redis', async () =>
    createRedisIntrospectionCache({ redis: await connectRedis(), prefix }),
  )

  it('sets keys under the prefix with the TTL in ms', async () => {
    const cache = createRedisIntrospectionCache({ redis: await connectRedis(), prefix })
    await cache.set('ttl', 'v', 30_000)
    const left = await admin.pttl(`${prefix}ttl`)
    expect(left).toBeGreaterThan(25_000)
    expect(left).toBeLessThanOrEqual(30_000)
    await cache.close()
  })
})

describe('memory introspection cache bounds', () => {
  it('forgets a value at its TTL and the oldest past max', async () => {
    let now = 1_000
    const cache = createMemoryIntrospectionCache({ max: 2, now: () => now })
    await cache.set('a', '1', 100)
    now += 100
    expect(await cache.get('a')).toBeUndefined()
    await cache.set('a', '1', 100)
    await cache.set('b', '2', 100)
    await cache.set('c', '3', 100)
    expect(await cache.get('a')).toBeUndefined()
    expect(await cache.get('c')).toBe('3')
  })
})
