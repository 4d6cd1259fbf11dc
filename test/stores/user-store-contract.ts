/**
 * The one contract every user store passes: exact lookups, the shape of records, login sync.
 * Each adapter's test file calls {@link userStoreContract} with a factory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { UserRecord, UserStore } from '../../src/stores/types.js'

/** A store seeded with `seed`, and how to dispose of it. */
export interface UserStoreHarness {
  store: UserStore
  cleanup(): Promise<void>
}

/** Creates a fresh, seeded store for one test. */
export type UserStoreFactory = (seed: readonly UserRecord[]) => Promise<UserStoreHarness>

const SEED: readonly UserRecord[] = [
  { username: 'alice', roles: ['admin', 'user'], name: 'Alice A.' },
  { username: 'bob', roles: [], disabled: true },
  { username: 'realm-carol', roles: ['user'] },
  // A numeric-looking username: a number 1 must not find it through type coercion.
  { username: '1', roles: ['numeric'] },
  // NFC "José" (U+00E9) and U+FFFD, which a driver would produce from a lone surrogate.
  { username: 'Jos\u00e9', roles: ['nfc'] },
  { username: 'x\uFFFD', roles: ['replacement'] },
]

/** Registers the user store contract for one adapter. */
export function userStoreContract(
  name: string,
  factory: UserStoreFactory,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip === true)(`user store contract: ${name}`, () => {
    let harness: UserStoreHarness
    let store: UserStore
    beforeEach(async () => {
      harness = await factory(SEED)
      store = harness.store
    })
    afterEach(async () => {
      await harness.cleanup()
    })

    it('finds a user with its roles, disabled flag and name', async () => {
      expect(await store.findUser('alice')).toEqual({
        username: 'alice',
        roles: ['admin', 'user'],
        disabled: false,
        name: 'Alice A.',
      })
      expect(await store.findUser('bob')).toEqual({ username: 'bob', roles: [], disabled: true })
      expect(await store.findUser('realm-carol')).toEqual({
        username: 'realm-carol',
        roles: ['user'],
        disabled: false,
      })
    })

    it('answers undefined for an unknown user', async () => {
      expect(await store.findUser('mallory')).toBeUndefined()
    })

    it.each([
      'Alice',
      'ALICE',
      ' alice',
      'alice ',
      'alice\n',
      '\talice',
      'alice\0',
      'ali',
      'alicex',
      'Jose\u0301', // NFD form of the seeded NFC "José"
      'jos\u00e9',
      'x\uD800', // lone surrogate: UTF-8 encoders turn it into U+FFFD, which is seeded
      'x\uDFFF',
      '',
    ])('matches exactly: %j is not found', async (username) => {
      expect(await store.findUser(username)).toBeUndefined()
    })

    it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'valueOf'])(
      'object-prototype names never match: %s',
      async (username) => {
        expect(await store.findUser(username)).toBeUndefined()
      },
    )

    it.each([
      "' OR '1'='1",
      "alice' --",
      "alice' OR 'x'='x",
      "'; DROP TABLE users; --",
      '" OR ""="',
      '%',
      'al%',
      '_lice',
      '*',
      'alice\\',
    ])('SQL tautologies and wildcards never match: %j', async (username) => {
      expect(await store.findUser(username)).toBeUndefined()
      // The table is intact and the real user still found.
      expect((await store.findUser('alice'))?.username).toBe('alice')
    })

    it.each([
      ['the number 1', 1],
      ['zero', 0],
      ['null', null],
      ['undefined', undefined],
      ['true', true],
      ['an array', ['alice']],
      ['an object', { username: 'alice' }],
      ['an object with toString', { toString: () => 'alice' }],
      ['a String object', Object('alice') as unknown],
    ])('non-string input never matches: %s', async (_label, value) => {
      expect(await store.findUser(value as string)).toBeUndefined()
    })

    it('finds the exact NFC name and the seeded U+FFFD name only by themselves', async () => {
      expect((await store.findUser('Jos\u00e9'))?.roles).toEqual(['nfc'])
      expect((await store.findUser('x\uFFFD'))?.roles).toEqual(['replacement'])
    })

    it('returns copies: changing a result does not change the store', async () => {
      const first = await store.findUser('alice')
      first!.roles.push('root')
      first!.disabled = true
      expect(await store.findUser('alice')).toMatchObject({
        roles: ['admin', 'user'],
        disabled: false,
      })
    })

    it('createUser adds a user, and is a no-op for an existing one', async () => {
      if (store.createUser === undefined) return
      await store.createUser({ username: 'dave', roles: ['user'], name: 'Dave' })
      expect(await store.findUser('dave')).toEqual({
        username: 'dave',
        roles: ['user'],
        disabled: false,
        name: 'Dave',
      })
      await store.createUser({ username: 'alice', roles: ['intruder'] })
      expect((await store.findUser('alice'))?.roles).toEqual(['admin', 'user'])
    })

    it('updateUser replaces roles and name, never the disabled flag', async () => {
      if (store.updateUser === undefined) return
      await store.updateUser({ username: 'bob', roles: ['user'], name: 'Bob', disabled: false })
      expect(await store.findUser('bob')).toEqual({
        username: 'bob',
        roles: ['user'],
        disabled: true,
        name: 'Bob',
      })
      await store.updateUser({ username: 'alice', roles: ['user'] })
      expect(await store.findUser('alice')).toEqual({
        username: 'alice',
        roles: ['user'],
        disabled: false,
        name: 'Alice A.',
      })
    })

    it('updateUser of an unknown user creates nothing', async () => {
      if (store.updateUser === undefined) return
      await store.updateUser({ username: 'ghost', roles: ['admin'] })
      expect(await store.findUser('ghost')).toBeUndefined()
    })

    it.each([
      ['a numeric username', { username: 1, roles: [] }],
      ['an empty username', { username: '', roles: [] }],
      ['roles that are not strings', { username: 'eve', roles: [1] }],
      ['roles that are not an array', { username: 'eve', roles: 'admin' }],
      ['a non-boolean disabled', { username: 'eve', roles: [], disabled: 'no' }],
    ])('createUser and updateUser reject %s with a TypeError', async (_label, user) => {
      if (store.createUser !== undefined)
        await expect(store.createUser(user as unknown as UserRecord)).rejects.toThrow(TypeError)
      if (store.updateUser !== undefined)
        await expect(store.updateUser(user as unknown as UserRecord)).rejects.toThrow(TypeError)
      expect(await store.findUser('eve')).toBeUndefined()
    })
  })
}
