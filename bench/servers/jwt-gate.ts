/**
 * jwt-gate's Express middleware, from the built package, configured as the README's quick start.
 * `BENCH_VARIANT`: `cache-off` (`cache: false`: every request a full verification, as with the
 * peers, none of which caches); `resource` (RFC 9728 metadata route and `resource_metadata` in
 * challenges; the explicit audience is kept, so the tokens are unchanged); `dpop` and
 * `dpop-cache-off` (DPoP required, docs/dpop.md; `publicOrigin` is the server's own origin).
 */
import type { RequestHandler } from 'express'
import type { AuthenticateOptions } from '../../src/index.js'
import { gateKey, readPublicFixture } from '../fixture.js'
import { benchAlgorithm, benchVariant, benchApp, serve } from './common.js'
import { built } from '../built.js'
import type * as IndexModule from '../../src/index.js'
import type * as MemoryModule from '../../src/stores/memory.js'

const { authenticate, authErrorHandler } = await built<typeof IndexModule>('index.js')
const { createMemoryReplayStore } = await built<typeof MemoryModule>('stores/memory.js')

const fixture = readPublicFixture()
const alg = benchAlgorithm()
const key = gateKey(alg, fixture.keys[alg])
const variant = benchVariant()
const dpop = variant.startsWith('dpop')
const options = (origin: string): AuthenticateOptions => ({
  issuers: [{ issuer: fixture.issuer, audience: fixture.audience, key, algorithms: [alg] }],
  ...(variant.endsWith('cache-off') ? { cache: false } : {}),
  ...(variant === 'resource' ? { resource: 'https://api.bench.invalid/mcp' } : {}),
  ...(dpop
    ? {
        dpop: {
          mode: 'required' as const,
          // Room for every proof of a run's slices within the 60 s window.
          replayStore: createMemoryReplayStore({ max: 1_000_000 }),
          publicOrigin: origin,
        },
      }
    : {}),
})
// The DPoP gate needs the origin, known once the server listens; the others are made now.
let gate = dpop ? undefined : authenticate(options(''))

const lazy: RequestHandler = (req, res, next) => gate!(req, res, next)
const app = benchApp((req) => req.auth?.subject, dpop ? lazy : gate!)
// Without it, Express's default handler would print the stack of every rejected request.
app.use(authErrorHandler())
serve(
  app,
  () => gate?.close() ?? Promise.resolve(),
  (origin) => {
    if (dpop) gate = authenticate(options(origin))
  },
)
