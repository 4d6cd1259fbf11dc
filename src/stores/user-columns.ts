/**
 * Column names of the user table, shared by the SQL adapters, so that they can read an existing
 * table (ClusterCockpit's `user` table: `username`, JSON `roles` text, no `disabled`) as well as
 * the one their migrations create; and the start-up check that the table has them.
 *
 * @module
 */
import { AuthConfigError } from '../errors.js'
import { quoteIdentifier } from './sql-identifier.js'
import type { UserRecord } from './types.js'

/**
 * Column names of an existing user table. Each is a plain identifier (always quoted). `disabled`
 * and `name` may be `false`: the table has no such column, so every user is enabled, or has no
 * display name (names given to `createUser`/`updateUser` are then not stored).
 */
export interface UserColumns {
  /** The unique username. @defaultValue `'username'` */
  username?: string
  /** A JSON array of strings (text or `jsonb`). @defaultValue `'roles'` */
  roles?: string
  /** A boolean or 0/1 (NULL counts as false). @defaultValue `'disabled'` */
  disabled?: string | false
  /** The display name. @defaultValue `'name'` */
  name?: string | false
}

type ColumnSet = Readonly<{
  username: string
  roles: string
  disabled: string | undefined
  name: string | undefined
}>

/** The columns as the table names them, and quoted for SQL; absent ones are `undefined`. */
export interface ResolvedColumns {
  readonly names: ColumnSet
  readonly sql: ColumnSet
  /** `"u" AS username, "r" AS roles, …`: what `rowToUser` reads, whatever the table calls it. */
  readonly select: string
}

const KEYS = ['username', 'roles', 'disabled', 'name'] as const

/** Checks and quotes the `columns` option; a mistake is an {@link AuthConfigError} naming it. */
export function resolveColumns(columns: UserColumns = {}): ResolvedColumns {
  if (typeof columns !== 'object' || columns === null)
    throw new AuthConfigError('columns', 'must be an object')
  for (const key of Object.keys(columns)) {
    if (!(KEYS as readonly string[]).includes(key))
      throw new AuthConfigError(`columns.${key}`, `unknown column; expected ${KEYS.join(', ')}`)
  }
  const names = {
    username: columns.username ?? 'username',
    roles: columns.roles ?? 'roles',
    disabled: columns.disabled === false ? undefined : (columns.disabled ?? 'disabled'),
    name: columns.name === false ? undefined : (columns.name ?? 'name'),
  }
  const quote = (key: (typeof KEYS)[number]): string | undefined => {
    const name = names[key]
    return name === undefined ? undefined : quoteIdentifier(`columns.${key}`, name)
  }
  const sql = {
    username: quote('username')!,
    roles: quote('roles')!,
    disabled: quote('disabled'),
    name: quote('name'),
  }
  const select = [
    `${sql.username} AS username`,
    `${sql.roles} AS roles`,
    `${sql.disabled ?? 'NULL'} AS disabled`,
    `${sql.name ?? 'NULL'} AS name`,
  ].join(', ')
  return { names, sql, select }
}

/**
 * Throws an {@link AuthConfigError} naming the first column the store needs that the table
 * (whose columns are `present`) lacks. `sameName` compares column names as the database does.
 */
export function assertColumnsPresent(
  store: string,
  table: string,
  columns: ResolvedColumns,
  present: readonly string[],
  sameName: (a: string, b: string) => boolean,
): void {
  for (const key of KEYS) {
    const wanted = columns.names[key]
    if (wanted === undefined || present.some((column) => sameName(column, wanted))) continue
    const absent = key === 'disabled' || key === 'name' ? ', or to false if it has none' : ''
    throw new AuthConfigError(
      `columns.${key}`,
      `${store}: table "${table}" has no column "${wanted}"; set columns.${key} to the name ` +
        `of the table's ${key} column${absent}`,
    )
  }
}

/** The SQL of a user store's statements, with the driver's placeholders (`?` or `$1`…). */
export interface UserStatements {
  find: string
  insert: string
  update: string
}

/**
 * The statements of the SQL adapters. Values are bound in the order of {@link insertValues} and
 * {@link updateValues}; the table name is already quoted.
 */
export function userStatements(
  table: string,
  columns: ResolvedColumns,
  placeholder: (index: number) => string,
): UserStatements {
  const { sql } = columns
  const written = [sql.username, sql.roles, sql.disabled, sql.name].filter(
    (column) => column !== undefined,
  )
  const updated =
    sql.name === undefined
      ? [`${sql.roles} = ${placeholder(1)}`]
      : [
          `${sql.roles} = ${placeholder(1)}`,
          `${sql.name} = coalesce(${placeholder(2)}, ${sql.name})`,
        ]
  return {
    find: `SELECT ${columns.select} FROM ${table} WHERE ${sql.username} = ${placeholder(1)}`,
    insert: `INSERT INTO ${table} (${written.join(', ')})
      VALUES (${written.map((_, i) => placeholder(i + 1)).join(', ')})
      ON CONFLICT (${sql.username}) DO NOTHING`,
    update: `UPDATE ${table} SET ${updated.join(', ')}
      WHERE ${sql.username} = ${placeholder(updated.length + 1)}`,
  }
}

/**
 * The values of an insert. A disabled user cannot be created in a table without a `disabled`
 * column (a `TypeError`: creating it enabled would be worse); a name without a column is dropped.
 */
export function insertValues(
  user: UserRecord,
  columns: ResolvedColumns,
  disabled: (value: boolean) => unknown,
): unknown[] {
  if (columns.sql.disabled === undefined && user.disabled === true)
    throw new TypeError('user.disabled cannot be stored: the table has no disabled column')
  return [
    user.username,
    JSON.stringify(user.roles),
    ...(columns.sql.disabled === undefined ? [] : [disabled(user.disabled === true)]),
    ...(columns.sql.name === undefined ? [] : [user.name ?? null]),
  ]
}

/** The values of an update: roles, the name when the table has one, the username. */
export function updateValues(user: UserRecord, columns: ResolvedColumns): unknown[] {
  const roles = JSON.stringify(user.roles)
  return columns.sql.name === undefined
    ? [roles, user.username]
    : [roles, user.name ?? null, user.username]
}
