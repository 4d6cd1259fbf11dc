/**
 * The user check (ClusterCockpit's `forceJWTValidationViaDatabase`): the user named by the token
 * must exist in the store and not be disabled, and the store's roles replace the token's. Optional
 * sync creates unknown users or updates known ones from the token.
 *
 * @module
 */
import { InvalidTokenError } from './errors.js'
import type { ResolvedConfig } from './config.js'
import type { UserRecord } from './stores/types.js'
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
  const user = value as Record<string, unknown>
  const { roles, disabled, name } = user
  if (
    // Exact match guards against stores that fold case or trim (collations, normalising drivers).
    user.username !== username ||
    !Array.isArray(roles) ||
    !roles.every((role) => typeof role === 'string') ||
    (disabled !== undefined && typeof disabled !== 'boolean') ||
    (name !== undefined && name !== null && typeof name !== 'string')
  ) {
    throw garbageFrom('user store')
  }
  return {
    username,
    roles: [...roles],
    ...(disabled === undefined ? {} : { disabled }),
    ...(typeof name === 'string' ? { name } : {}),
  }
}

function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((role, i) => role === b[i])
}

/** Looks the user up (and syncs it when configured); returns the authoritative record. */
export async function checkUser(
  users: UserCheck,
  username: unknown,
  tokenRoles: readonly string[],
  displayName: unknown,
): Promise<UserRecord> {
  if (typeof username !== 'string' || username === '') {
    throw new InvalidTokenError('ERR_AUTH_USER_UNKNOWN', 'unknown user')
  }
  const { store, timeout } = users
  const found = await callStore(
    async () => snapshotUser(await store.findUser(username), username),
    timeout,
    'user store',
  )
  const name = typeof displayName === 'string' ? displayName : undefined

  if (found === undefined) {
    if (!users.createUnknown || store.createUser === undefined) {
      throw new InvalidTokenError('ERR_AUTH_USER_UNKNOWN', 'unknown user')
    }
    const created: UserRecord = { username, roles: [...tokenRoles], ...(name ? { name } : {}) }
    await callStore(() => store.createUser!(created), timeout, 'user store')
    return created
  }
  if (found.disabled === true)
    throw new InvalidTokenError('ERR_AUTH_USER_DISABLED', 'user disabled')

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
