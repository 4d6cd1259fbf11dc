/**
 * jwt-gate's Express middleware. `BENCH_VARIANT` is a comma list:
 * `cookie` (also accept the token from the `access` cookie, which jwt-gate reads from the raw
 * `Cookie` header: no cookie-parser, as the README's recipe; the default sources header then cookie),
 * `cache-small` (max `BENCH_CACHE_MAX` entries, default 1000: the pool-cycling row), `cache-off`, `users-sqlite`,
 * `users-postgres`, `revocation` (the in-memory revocation store behind its cache), `no-yield`
 * (`yieldAfterVerification: false`: `next()` at once after a signature check too), `declared-auth`
 * (the app calls `declareRequestAuth(app)` first: `req.auth` is an accessor on its request prototype).
 */
import express from 'express'
import type { AuthenticateOptions, KeySource } from '../../src/index.js'
import { readPublicFixture } from '../fixture.js'
import { benchAlgorithm, benchVariant, mountStats, protectedRoute, serve } from './common.js'
import { openUserStore } from './user-stores.js'
import { built } from '../built.js'
import type * as IndexModule from '../../src/index.js'
import type * as StoresCacheModule from '../../src/stores/cache/index.js'
import type * as StoresMemoryModule from '../../src/stores/memory.js'

const { authenticate, authErrorHandler, declareRequestAuth } =
  await built<typeof IndexModule>('index.js')
const { cacheRevocationStore } = await built<typeof StoresCacheModule>('stores/cache/index.js')
const { createMemoryRevocationStore } = await built<typeof StoresMemoryModule>('stores/memory.js')

const fixture = readPublicFixture()
const alg = benchAlgorithm()
const variant = new Set(benchVariant().split(',').filter(Boolean))
const material = fixture.keys[alg]

const key: KeySource =
  alg === 'HS256'
    ? { secret: material.secret!, encoding: 'utf8' }
    : alg === 'EdDSA'
      ? { ed25519: material.raw! }
      : { pem: material.pem! }

const users = variant.has('users-sqlite')
  ? await openUserStore('sqlite')
  : variant.has('users-postgres')
    ? await openUserStore('postgres')
    : undefined

const revocation = variant.has('revocation')
  ? cacheRevocationStore(createMemoryRevocationStore())
  : undefined

const options: AuthenticateOptions = {
  issuers: [{ issuer: fixture.issuer, audience: fixture.audience, key, algorithms: [alg] }],
  ...(variant.has('cookie') ? { cookie: { name: 'access' } } : {}),
  ...(variant.has('cache-off') ? { cache: false } : {}),
  ...(variant.has('cache-small')
    ? { cache: { max: Number(process.env.BENCH_CACHE_MAX ?? 1000) } }
    : {}),
  ...(variant.has('no-yield') ? { yieldAfterVerification: false } : {}),
  ...(users === undefined ? {} : { users: { store: users.store } }),
  ...(revocation === undefined ? {} : { revocation: { store: revocation } }),
}
const gate = authenticate(options)

const app = express()
if (variant.has('declared-auth')) declareRequestAuth(app)
mountStats(app, () => ({
  cacheSize: gate.authenticator.cacheSize,
  ...(users === undefined ? {} : { userCacheSize: users.store.size }),
  ...(revocation === undefined ? {} : { revocationCacheSize: revocation.size }),
}))
app.use(gate)
app.get(
  '/',
  protectedRoute((req) => req.auth?.subject),
)
// As the README's quick start: without it, Express's default handler would also print the stack
// of every rejected request to stderr, which no production app wants measured.
app.use(authErrorHandler())
serve(app, async () => {
  await gate.close()
  await users?.dispose()
})
