/**
 * The user check (ClusterCockpit's `forceJWTValidationViaDatabase`): the user named by the token
 * must exist in the store and not be disabled, and the store's roles replace the token's. Optional
 * sync creates unknown users or updates known ones from the token. A name that a row holds only
 * inexactly (case-insensitive tables) is refused and never created.
 *
 * @module
 */
import { InvalidTokenError } from '../errors.js'
import type { ResolvedConfig } from '../options/resolve.js'
import type { UserRecord } from '../stores/types.js'
import { isInexactUserMatch, readUserRecord } from '../stores/validate.js'
import { callStore, garbageFrom } from './store-calls.js'

type UserCheck = NonNullable<ResolvedConfig['users']>

/**
 * Validates and copies the store's answer. Runs inside the store call, so that anything odd about
 * the answer (a wrong shape, a getter that throws on a detached ORM entity) is a store failure
 * (503), never an unhandled error.
 */
function snapshotUser(value: unknown, username: string): UserRecord | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object') throw garbageFrom('user store')
  const record = value as Record<string, unknown>
  // Exact match guards against stores that fold case or trim (collations, normalising drivers).
  if (record.username !== username) throw garbageFrom('user store')
  const user = readUserRecord(record, username)
  if (typeof user === 'string') throw garbageFrom('user store')
  return user
}

function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((role, i) => role === b[i])
}

/** A row holds the name, but not exactly (see {@link InexactUserMatchError}). */
const INEXACT = Symbol('inexact match')

/** The exact user, no user, or {@link INEXACT}; anything else from the store is a 503. */
function lookUp(
  users: UserCheck,
  username: string,
): Promise<UserRecord | undefined | typeof INEXACT> {
  const { store, timeout } = users
  return callStore(
    async () => {
      try {
        return snapshotUser(await store.findUser(username), username)
      } catch (error) {
        if (isInexactUserMatch(error)) return INEXACT
        throw error
      }
    },
    timeout,
    'user store',
  )
}

const unknownUser = (): InvalidTokenError =>
  new InvalidTokenError('ERR_AUTH_USER_UNKNOWN', 'unknown user')
const disabledUser = (): InvalidTokenError =>
  new InvalidTokenError('ERR_AUTH_USER_DISABLED', 'user disabled')

/**
 * Creates an unknown user, then reads it back. Only what the re-read finds exactly counts: a
 * store whose create did nothing (a row that compares equal under a case-insensitive collation,
 * `ON CONFLICT DO NOTHING`) or created something else leaves the token refused, and a row that
 * another instance created meanwhile is authoritative, `disabled` included.
 */
async function createThenReRead(
  users: UserCheck,
  username: string,
  tokenRoles: readonly string[],
  name: string | undefined,
): Promise<UserRecord> {
  const { store, timeout } = users
  if (!users.createUnknown || store.createUser === undefined) throw unknownUser()
  const wanted: UserRecord = { username, roles: [...tokenRoles], ...(name ? { name } : {}) }
  await callStore(() => store.createUser!(wanted), timeout, 'user store')
  const created = await lookUp(users, username)
  if (created === undefined || created === INEXACT) throw unknownUser()
  if (created.disabled === true) throw disabledUser()
  return created
}

/** Looks the user up (and syncs it when configured); returns the authoritative record. */
export async function checkUser(
  users: UserCheck,
  username: unknown,
  tokenRoles: readonly string[],
  displayName: unknown,
): Promise<UserRecord> {
  if (typeof username !== 'string' || username === '') throw unknownUser()
  const found = await lookUp(users, username)
  const name = typeof displayName === 'string' ? displayName : undefined

  // An inexact match means the name is taken by another row: refused, never created.
  if (found === INEXACT) throw unknownUser()
  if (found === undefined) return createThenReRead(users, username, tokenRoles, name)
  if (found.disabled === true) throw disabledUser()

  const { store, timeout } = users
  if (
    users.updateExisting &&
    store.updateUser !== undefined &&
    (!sameRoles(found.roles, tokenRoles) || (name !== undefined && name !== found.name))
  ) {
    const updated: UserRecord = { ...found, roles: [...tokenRoles], ...(name ? { name } : {}) }
    await callStore(() => store.updateUser!(updated), timeout, 'user store')
    return updated
  }
  return found
}
