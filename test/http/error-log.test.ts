/**
 * A store failure is never silent: `authErrorHandler()` logs the cause of every 5xx, once per
 * distinct cause (again after a minute at the earliest), without token, key or secret; and
 * `onRejected` receives the cause. On a real SQLite user table lacking a column the store needs
 * (ClusterCockpit's `user` table has no `disabled`).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import request from 'supertest'
import express from 'express'
import Database from 'better-sqlite3'
import { createSqliteUserStore } from '../../src/stores/sqlite/index.js'
import { authenticate, authErrorHandler } from '../../src/index.js'
import type { AuthenticateOptions, RejectionEvent, UserStore } from '../../src/index.js'
import { ed25519, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'

const issuers = [{ issuer: ISSUER, key: { ed25519: rawEd25519Base64(ed25519) } }]

/**
 * A `user` table that loses its `disabled` column after the store started (as if pointed at
 * ClusterCockpit's table, which has none): every lookup then fails inside SQLite.
 */
function tableWithoutDisabled(): UserStore {
  const db = new Database(':memory:')
  const store = createSqliteUserStore({ db, table: 'user', migrate: true })
  db.prepare(`INSERT INTO "user" (username, roles) VALUES ('alice', '["user"]')`).run()
  db.exec('ALTER TABLE "user" DROP COLUMN disabled')
  return store
}

function app(options: Partial<AuthenticateOptions>, log?: (line: string) => void) {
  const a = express()
  a.use(authenticate({ issuers, clock, ...options }))
  a.get('/protected', (_req, res) => res.json({ ok: true }))
  a.use(authErrorHandler(log === undefined ? {} : { logger: log }))
  return a
}

let token: string
beforeEach(async () => {
  token = await sign(ed25519.privateKey)
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date('2026-06-01T12:00:00Z'))
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('a user store failing on a table that lacks a column', () => {
  it('answers 503, logs the cause once per distinct cause, and hands it to onRejected', async () => {
    const lines: string[] = []
    const events: RejectionEvent[] = []
    const a = app(
      { users: { store: tableWithoutDisabled() }, onRejected: (e) => events.push(e) },
      (line) => lines.push(line),
    )
    const get = () => request(a).get('/protected').set('Authorization', `Bearer ${token}`)

    const first = await get()
    expect({ status: first.status, code: first.body.code }).toEqual({
      status: 503,
      code: 'ERR_AUTH_STORE_UNAVAILABLE',
    })
    expect(first.text).not.toMatch(/disabled|no such column/)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/503 ERR_AUTH_STORE_UNAVAILABLE/)
    expect(lines[0]).toMatch(/no such column: "?disabled"?/)
    expect(lines[0]).not.toContain(token.split('.')[1])
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ code: 'ERR_AUTH_STORE_UNAVAILABLE', status: 503 })
    expect(String((events[0]!.cause as Error).message)).toMatch(/no such column: "?disabled"?/)

    await get()
    await get()
    expect(lines).toHaveLength(1)
    vi.setSystemTime(new Date('2026-06-01T12:01:01Z'))
    await get()
    expect(lines).toHaveLength(2)
    expect(events).toHaveLength(4)
  })

  it('logs through console.error when no logger is given', async () => {
    const logged: unknown[][] = []
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args))
    const a = app({ users: { store: tableWithoutDisabled() } })
    await request(a).get('/protected').set('Authorization', `Bearer ${token}`)
    expect(logged).toHaveLength(1)
    expect(String(logged[0]![0])).toMatch(/no such column: "?disabled"?/)
  })
})

describe('what a log line may hold', () => {
  it('logs each distinct cause, and never a token, a key or a URL password', async () => {
    const lines: string[] = []
    let failure = new Error('first outage')
    const store: UserStore = {
      findUser: () => Promise.reject(failure),
    }
    const a = app({ users: { store } }, (line) => lines.push(line))
    const get = () => request(a).get('/protected').set('Authorization', `Bearer ${token}`)
    await get()
    failure = new Error(
      `lookup of ${token} failed at postgres://app:hunter2@db.internal/users with -----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+X\n-----END PRIVATE KEY-----`,
    )
    await get()
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/first outage/)
    expect(lines[1]).toMatch(
      /lookup of \[token\] failed at postgres:\/\/\[credentials\]@db\.internal/,
    )
    for (const secret of [token, token.split('.')[2]!, 'hunter2', 'MC4CAQAwBQYDK2VwBCIEIJ']) {
      expect(lines[1]).not.toContain(secret)
    }
  })

  it('logs nothing with logger: false, and refuses a logger that is not a function', async () => {
    const logged: unknown[] = []
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args))
    const a = express()
    a.use(authenticate({ issuers, clock, users: { store: tableWithoutDisabled() } }))
    a.use(authErrorHandler({ logger: false }))
    const res = await request(a).get('/').set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(503)
    expect(logged).toEqual([])
    expect(() => authErrorHandler({ logger: 'stderr' as never })).toThrow(
      expect.objectContaining({ name: 'AuthConfigError', option: 'logger' }),
    )
  })

  it('does not log 4xx rejections', async () => {
    const lines: string[] = []
    const a = app({}, (line) => lines.push(line))
    await request(a).get('/protected').set('Authorization', 'Bearer x')
    await request(a).get('/protected')
    expect(lines).toEqual([])
  })

  it('hands no cause to onRejected for a 4xx', async () => {
    const events: RejectionEvent[] = []
    const a = app({ onRejected: (e) => events.push(e) })
    await request(a).get('/protected').set('Authorization', 'Bearer x')
    expect(events).toHaveLength(1)
    expect(events[0]!.cause).toBeUndefined()
  })
})
