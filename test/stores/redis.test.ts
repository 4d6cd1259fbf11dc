import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Invalidation } from '../../src/stores/invalidation.js'
import { createRedisRevocationStore } from '../../src/stores/redis/index.js'
import { MAX_CLOCK_TOLERANCE, StoreDataError } from '../../src/stores/validate.js'
import { connectRedis, deleteKeys } from './redis-helpers.js'
import { revocationStoreContract } from './revocation-store-contract.js'
import { REDIS_URL, serviceAvailable, uniqueName } from './services.js'

const available = await serviceAvailable('redis', 'Redis revocation store')

let admin: Redis
const prefixes: string[] = []
function newPrefix(): string {
  const prefix = `${uniqueName('jwtg')}:`
  prefixes.push(prefix)
  return prefix
}

beforeAll(async () => {
  if (available) admin = await connectRedis()
})
afterAll(async () => {
  if (!available) return
  for (const prefix of prefixes) await deleteKeys(admin, prefix)
  admin.disconnect()
})

revocationStoreContract(
  'redis',
  async () => {
    const redis = await connectRedis()
    const prefix = newPrefix()
    const store = createRedisRevocationStore({ redis, prefix })
    return {
      store,
      now: () => Date.now() / 1000,
      // Redis expires keys in real time; the contract polls (bounded).
      advance: () => undefined,
      async peer() {
        const peer = createRedisRevocationStore({ redis: REDIS_URL, prefix })
        return { store: peer, invalidations: peer.invalidations }
      },
      async cleanup() {
        await store.close()
        redis.disconnect()
      },
    }
  },
  { skip: !available, realTime: true },
)

describe.skipIf(!available)('redis revocation store', () => {
  const now = (): number => Math.floor(Date.now() / 1000)

  it('stores a denial under <prefix>jti:<jti>, expiring the largest tolerance after the token', async () => {
    const prefix = newPrefix()
    const store = createRedisRevocationStore({ redis: admin, prefix })
    const kept = (100 + MAX_CLOCK_TOLERANCE) * 1000
    await store.revokeToken('abc', now() + 100)
    const ttl = await admin.pttl(`${prefix}jti:abc`)
    expect(ttl).toBeGreaterThan(kept - 3000)
    expect(ttl).toBeLessThanOrEqual(kept)
    // A later expiry extends the denial; an earlier one never shortens it.
    await store.revokeToken('abc', now() + 50)
    expect(await admin.pttl(`${prefix}jti:abc`)).toBeGreaterThan(kept - 3000)
    await store.close()
  })

  it('stores a claim mark under <prefix>claim:<claim>:<value> for its ttl and the largest tolerance, never shortened', async () => {
    const prefix = newPrefix()
    const store = createRedisRevocationStore({ redis: admin, prefix })
    const kept = (300 + MAX_CLOCK_TOLERANCE) * 1000
    await store.revokeClaim('sid', 's-1', 1_700_000_000, 300)
    expect(await admin.get(`${prefix}claim:sid:s-1`)).toBe('1700000000')
    expect(await admin.pttl(`${prefix}claim:sid:s-1`)).toBeGreaterThan(kept - 2000)
    expect(await admin.pttl(`${prefix}claim:sid:s-1`)).toBeLessThanOrEqual(kept)
    // An earlier, shorter revocation neither moves the mark back nor shortens it.
    await store.revokeClaim('sid', 's-1', 1_600_000_000, 10)
    expect(await admin.get(`${prefix}claim:sid:s-1`)).toBe('1700000000')
    expect(await admin.pttl(`${prefix}claim:sid:s-1`)).toBeGreaterThan(kept - 2000)
    await store.close()
  })

  it('stores a subject mark under <prefix>sub:<subject> for its ttl and the largest tolerance, never shortened', async () => {
    const prefix = newPrefix()
    const store = createRedisRevocationStore({ redis: admin, prefix })
    const kept = (300 + MAX_CLOCK_TOLERANCE) * 1000
    await store.revokeSubject('alice', 1_700_000_000, 300)
    expect(await admin.get(`${prefix}sub:alice`)).toBe('1700000000')
    expect(await admin.pttl(`${prefix}sub:alice`)).toBeGreaterThan(kept - 2000)
    expect(await admin.pttl(`${prefix}sub:alice`)).toBeLessThanOrEqual(kept)
    await store.revokeSubject('alice', 1_600_000_000, 10)
    expect(await admin.get(`${prefix}sub:alice`)).toBe('1700000000')
    expect(await admin.pttl(`${prefix}sub:alice`)).toBeGreaterThan(kept - 2000)
    await store.close()
  })

  it('stores a claim mark under <prefix>claim:<claim>:<value> and reads every mark in one MGET', async () => {
    const prefix = newPrefix()
    const client = await connectRedis()
    const store = createRedisRevocationStore({ redis: client, prefix, channel: false })
    await store.revokeClaim('sid', 's:1', 1_700_000_000, 300)
    expect(await admin.get(`${prefix}claim:sid:s:1`)).toBe('1700000000')
    const sent: string[] = []
    const sendCommand = client.sendCommand.bind(client)
    client.sendCommand = (command: { name: string }) => {
      sent.push(command.name)
      return sendCommand(command as never)
    }
    const claims = { sub: 'bob', sid: 's:1', client_id: 'app', jti: 'j' }
    const query = { subject: 'bob', jti: 'j', issuedAt: 1_600_000_000, claims }
    expect(await store.isRevoked(query)).toBe(true)
    expect(sent).toEqual(['mget'])
    expect(() => createRedisRevocationStore({ redis: admin, claims: ['a:b'] })).toThrow(
      expect.objectContaining({ option: 'claims' }),
    )
    await store.close()
    client.disconnect()
  })

  it('detects a subject mark that is not a number', async () => {
    const prefix = newPrefix()
    const store = createRedisRevocationStore({ redis: admin, prefix })
    for (const garbage of ['yesterday', '', 'NaN', 'Infinity']) {
      await admin.set(`${prefix}sub:alice`, garbage, 'EX', 60)
      await expect(store.isRevoked({ subject: 'alice', issuedAt: now() })).rejects.toThrow(
        StoreDataError,
      )
    }
    await store.close()
  })

  it('publishes each revocation to the other instances within a second', async () => {
    const prefix = newPrefix()
    const a = createRedisRevocationStore({ redis: await connectRedis(), prefix })
    const bClient = await connectRedis()
    const b = createRedisRevocationStore({ redis: bClient, prefix })
    const events: Invalidation[] = []
    const stop = b.invalidations!.subscribe((event) => events.push(event))
    // The subscriber reports `all` once subscribed.
    await expect.poll(() => events, { timeout: 3000, interval: 10 }).toContainEqual({ type: 'all' })
    events.length = 0
    await a.revokeToken('t-1', now() + 60)
    await a.revokeSubject('alice', now(), 60)
    // Late: the token has expired, but a clock tolerance can still accept it.
    await a.revokeToken('t-late', now() - 10)
    await expect
      .poll(() => events, { timeout: 1000, interval: 10 })
      .toEqual([
        { type: 'token', jti: 't-1' },
        { type: 'subject', subject: 'alice' },
        { type: 'token', jti: 't-late' },
      ])
    stop()
    await a.close()
    await b.close()
    bClient.disconnect()
  })

  it('owns and closes a client it created from a URL', async () => {
    const prefix = newPrefix()
    const store = createRedisRevocationStore({ redis: REDIS_URL, prefix, channel: false })
    // Without an offline queue, commands fail until the connection is up; then they work.
    await expect
      .poll(
        () =>
          store.revokeToken('u-1', now() + 60).then(
            () => 'ok',
            () => 'not yet',
          ),
        { timeout: 3000, interval: 20 },
      )
      .toBe('ok')
    expect(await store.isRevoked({ subject: 's', jti: 'u-1' })).toBe(true)
    await store.close()
    await expect(store.isRevoked({ subject: 's', jti: 'u-1' })).rejects.toThrow()
  })
})
