/**
 * The user check (ClusterCockpit's `forceJWTValidationViaDatabase`): a validly signed token whose
 * subject is not exactly a known, enabled user is refused. Run against the memory store, a real
 * SQLite store and a minimal in-test store that implements `findUser` exactly.
 */
import Database from 'better-sqlite3'
import { createAuthenticator } from '../../src/index.js'
import type { AuthErrorCode, UserStore } from '../../src/index.js'
import { createSqliteUserStore } from '../../src/stores/sqlite/index.js'
import { describe, expect, it } from 'vitest'
import { expectPassed, runAttackTable, send, startServer } from './helpers/harness.js'
import type { AttackRow } from './helpers/harness.js'
import { KNOWN_USERS, target, tokenFor } from './helpers/targets.js'
import type { Target } from './helpers/targets.js'

const UNKNOWN: AuthErrorCode[] = ['ERR_AUTH_USER_UNKNOWN']
const users = target('users')

/** The smallest honest store: exact lookups in a list. */
const exactStore: UserStore = {
  findUser: (username) => Promise.resolve(KNOWN_USERS.find((user) => user.username === username)),
}

function sqliteStore(): UserStore {
  const store = createSqliteUserStore({ db: new Database(':memory:'), migrate: true })
  // createUser runs its statement synchronously inside settle(); the promise only reports it.
  for (const user of KNOWN_USERS) void store.createUser(user)
  return store
}

const withStore = (name: string, store: () => UserStore): Target => ({
  ...users,
  name,
  options: () => ({ ...users.options(), users: { store: store() } }),
})

const SUBJECTS: [string, string, string][] = [
  ['unknown user', 'mallory', 'unknown subject'],
  ['homoglyph', '\u0430lice', 'Cyrillic a (U+0430)'],
  ['homoglyph', 'alic\u0435', 'Cyrillic e (U+0435)'],
  ['homoglyph', '\uff41lice', 'fullwidth a (U+FF41)'],
  ['trailing space', 'alice ', 'trailing space'],
  ['trailing space', ' alice', 'leading space'],
  ['trailing space', 'alice\t', 'trailing tab'],
  ['trailing space', 'alice\u200b', 'zero-width space'],
  ['trailing space', 'alice\u0000', 'NUL suffix'],
  ['other case', 'Alice', 'capitalised'],
  ['other case', 'ALICE', 'upper case'],
  ['other case', 'ALİCE', 'Turkish dotted I'],
  ['Unicode normalisation', 'jose\u0301', 'NFD form of a user stored in NFC'],
  ['SQL tautology', "' OR '1'='1", "' OR '1'='1"],
  ['SQL tautology', "alice' --", 'comment after the name'],
  ['SQL tautology', "x' OR 1=1 LIMIT 1 --", 'OR 1=1 LIMIT 1'],
  ['SQL tautology', "alice'; DROP TABLE users; --", 'stacked query'],
  ['SQL tautology', '" OR ""="', 'double-quoted tautology'],
  ['SQL wildcard', '%', 'LIKE wildcard %'],
  ['SQL wildcard', '_lice', 'LIKE wildcard _'],
  ['prototype name', '__proto__', '__proto__'],
  ['prototype name', 'constructor', 'constructor'],
  ['prototype name', 'toString', 'toString'],
  ['prototype name', 'hasOwnProperty', 'hasOwnProperty'],
  ['prototype name', 'valueOf', 'valueOf'],
]

const rows: AttackRow[] = SUBJECTS.map(([attack, sub, label]) => ({
  ref: `user check: ${attack}`,
  name: `sub ${label} (${JSON.stringify(sub)})`,
  build: (t: Target) => ({ token: tokenFor(t, { claims: { sub } }) }),
  codes: UNKNOWN,
}))
rows.push(
  {
    ref: 'user check: disabled user',
    name: 'sub of a disabled user',
    build: (t) => ({ token: tokenFor(t, { claims: { sub: 'bob' } }) }),
    codes: ['ERR_AUTH_USER_DISABLED'],
  },
  {
    ref: 'user check: disabled user',
    name: 'sub of a disabled user claiming admin roles',
    build: (t) => ({ token: tokenFor(t, { claims: { sub: 'bob', roles: ['admin'] } }) }),
    codes: ['ERR_AUTH_USER_DISABLED'],
  },
)
for (const [label, sub] of [
  ['an array holding a known user', ['alice']],
  ['an array of two users', ['alice', 'bob']],
  ['a NoSQL operator object', { $ne: null }],
  ['a number', 1],
] as const) {
  rows.push({
    ref: 'user check: non-string sub / RFC 7519 §4.1.2',
    name: `sub ${label}`,
    build: (t) => ({ token: tokenFor(t, { claims: { sub } }) }),
    codes: ['ERR_AUTH_CLAIMS_INVALID'],
  })
}

runAttackTable('user check', rows, [
  users,
  withStore('users-sqlite', sqliteStore),
  withStore('users-exact', () => exactStore),
])

describe.each([
  users,
  withStore('users-sqlite', sqliteStore),
  withStore('users-exact', () => exactStore),
])('user check controls [$name]', (t) => {
  it('a known user with a non-ASCII name (NFC, as stored) passes', async () => {
    const srv = await startServer(t)
    try {
      const before = srv.ran()
      const res = await send(srv, { token: tokenFor(t, { claims: { sub: 'jos\u00e9' } }) })
      expectPassed(res, srv, before, 'jos\u00e9')
    } finally {
      await srv.close()
    }
  })
})

describe('user check: the store is authoritative for roles (privilege escalation via claims)', () => {
  it('a validly signed token claiming admin gets the store roles, not its own', async () => {
    const gate = createAuthenticator(users.options())
    const auth = await gate.authenticate({
      headers: {
        authorization: `Bearer ${tokenFor(users, { claims: { roles: ['admin', 'root'] } })}`,
      },
      cookies: {},
    })
    expect(auth?.subject).toBe('alice')
    expect(auth?.roles).toEqual(['user'])
    expect(auth?.user).toMatchObject({ username: 'alice', roles: ['user'] })
  })
})
