/**
 * The scenarios of `npm run bench`: which server, which algorithm, which tokens. Ratios compare
 * every row with bare Express and with the hand-written jose middleware of the same algorithm and
 * token mode.
 */
import { ALGORITHMS } from './fixture.js'
import type { BenchAlgorithm } from './fixture.js'

/**
 * How the load generator sends tokens: `repeated` one token; `distinct` each token of a large pool
 * once (no token comes back, so no cache can help); `cycling` a pool five times the size of a
 * small jwt-gate cache, over and over (least-recently-used eviction's worst case: every token is
 * evicted just before it comes back).
 */
export type TokenMode = 'none' | 'repeated' | 'distinct' | 'cycling'

/** One row of the results. */
export interface Scenario {
  id: string
  label: string
  kind: 'ceiling' | 'jwt-gate' | 'jose' | 'peer'
  server: string
  alg?: BenchAlgorithm
  variant?: string
  tokens: TokenMode
  transport: 'bearer' | 'cookie'
  /** Extra `node` flags of the server process. */
  nodeArgs?: readonly string[]
  /** Another build of jwt-gate for the server to import (`BENCH_DIST`, absolute); `dist/` if absent. */
  dist?: string
}

const PEERS: { server: string; label: string; variant?: string; algs: BenchAlgorithm[] }[] = [
  {
    server: 'express-jwt',
    label: 'express-jwt (KeyObject)',
    variant: 'keyobject',
    algs: ['ES256', 'RS256', 'HS256'],
  },
  {
    server: 'express-jwt',
    label: 'express-jwt (PEM/string)',
    variant: 'string',
    algs: ['ES256', 'RS256', 'HS256'],
  },
  { server: 'passport-jwt', label: 'passport-jwt', algs: ['RS256', 'HS256'] },
  { server: 'oauth2-bearer', label: 'express-oauth2-jwt-bearer', algs: ['RS256', 'HS256'] },
]

function id(parts: (string | undefined)[]): string {
  return parts.filter((p) => p !== undefined && p !== '').join('/')
}

/** The bare Express row. */
export const BARE: Scenario = {
  id: 'express',
  label: 'bare Express 5',
  kind: 'ceiling',
  server: 'bare',
  tokens: 'none',
  transport: 'bearer',
}

/** The jwt-gate variants that depart from the default configuration, and how their labels say so. */
const NON_DEFAULT_LABELS = {
  'cache-off': ', cache off',
  'no-yield': ', no yield after a check',
  'users-sqlite': ' + user check: sqlite',
  'users-postgres': ' + user check: postgres',
  'declared-auth': ', req.auth declared on the app',
} as const
type NonDefaultVariant = keyof typeof NON_DEFAULT_LABELS

/**
 * The opt-in row: the app declares `req.auth` on its request prototype (`declareRequestAuth`). It
 * departs from the defaults, so no target judges it, but it is compared like a default row.
 */
export const DECLARED_AUTH_VARIANT = 'declared-auth'

/** Whether a row runs jwt-gate with options other than the defaults (the targets exclude it). */
export function departsFromDefaults(scenario: Scenario): boolean {
  return scenario.variant?.split(',').some((v) => Object.hasOwn(NON_DEFAULT_LABELS, v)) === true
}

function gate(
  alg: BenchAlgorithm,
  tokens: TokenMode,
  transport: 'bearer' | 'cookie',
  extra: NonDefaultVariant | '' = '',
): Scenario {
  const variants = [
    transport === 'cookie' ? 'cookie' : '',
    tokens === 'cycling' ? 'cache-small' : '',
    extra,
  ]
  const variant = variants.filter(Boolean).join(',')
  const suffix =
    tokens === 'cycling'
      ? ', pool cycling through a small cache'
      : extra === ''
        ? ''
        : NON_DEFAULT_LABELS[extra]
  return {
    id: id(['jwt-gate', transport, alg, tokens, extra]),
    label: `jwt-gate ${transport}${suffix}`,
    kind: 'jwt-gate',
    server: 'jwt-gate',
    alg,
    ...(variant === '' ? {} : { variant }),
    tokens,
    transport,
  }
}

function jose(alg: BenchAlgorithm, tokens: TokenMode): Scenario {
  return {
    id: id(['jose', alg, tokens]),
    label: 'hand-written jose',
    kind: 'jose',
    server: 'jose',
    alg,
    tokens,
    transport: 'bearer',
  }
}

function peers(tokens: TokenMode): Scenario[] {
  return PEERS.flatMap((peer) =>
    peer.algs.map((alg) => ({
      id: id([peer.server, peer.variant, alg, tokens]),
      label: peer.label,
      kind: 'peer' as const,
      server: peer.server,
      alg,
      ...(peer.variant === undefined ? {} : { variant: peer.variant }),
      tokens,
      transport: 'bearer' as const,
    })),
  )
}

/** Every scenario of the full suite. */
export function fullSuite(options: { postgres: boolean }): Scenario[] {
  const list: Scenario[] = [BARE]
  for (const tokens of ['repeated', 'distinct'] as const) {
    for (const alg of ALGORITHMS) {
      list.push(gate(alg, tokens, 'bearer'))
      if (tokens === 'repeated') list.push(gate(alg, tokens, 'cookie'))
      list.push(jose(alg, tokens))
    }
    list.push(...peers(tokens))
  }
  // What `cache: false` costs on a repeated token, and what the cache costs when it cannot help.
  list.push(gate('EdDSA', 'repeated', 'bearer', 'cache-off'))
  list.push(gate('EdDSA', 'distinct', 'bearer', 'cache-off'))
  // What yielding after a signature check gives (yieldAfterVerification, on by default).
  list.push(gate('RS256', 'distinct', 'bearer', 'no-yield'))
  // What the cache costs when it churns: each token evicted just before it comes back.
  list.push(gate('HS256', 'cycling', 'bearer'))
  list.push(gate('EdDSA', 'repeated', 'bearer', 'users-sqlite'))
  if (options.postgres) list.push(gate('EdDSA', 'repeated', 'bearer', 'users-postgres'))
  return list
}

/** The few scenarios of `--smoke`: one of each server kind, both token modes, a user check. */
export function smokeSuite(): Scenario[] {
  return [
    BARE,
    gate('EdDSA', 'repeated', 'bearer'),
    gate('HS256', 'distinct', 'cookie'),
    jose('EdDSA', 'repeated'),
    ...peers('distinct').filter((s) => s.alg === 'HS256' && s.variant !== 'string'),
    gate('EdDSA', 'repeated', 'bearer', 'users-sqlite'),
  ]
}

/** The `--shape` row of bare Express plus a middleware that does to the request what a cache hit does. */
export const LIKE_GATE_VARIANT = 'noop-like-gate'

/**
 * Bare Express plus middlewares that do nothing: the price of the middleware shape itself. The
 * default jwt-gate row with one repeated token closes the list, to be compared in the same cycles
 * with the middleware that does what its cache hit does to the request (`closeComparisons`).
 */
export function shapeSuite(): Scenario[] {
  const noop = (variant: string, label: string): Scenario => ({
    id: `express/${variant}`,
    label,
    kind: 'ceiling',
    server: 'bare',
    variant,
    tokens: 'none',
    transport: 'bearer',
  })
  return [
    BARE,
    noop('noop', 'Express + no-op middleware'),
    noop('noop-auth', 'Express + no-op middleware setting req.auth'),
    noop(LIKE_GATE_VARIANT, 'Express + middleware doing what a cache hit does to the request'),
    noop('noop-async', 'Express + no-op async middleware'),
    noop('noop-async-auth', 'Express + no-op async middleware setting req properties'),
    gate('EdDSA', 'repeated', 'bearer'),
    gate('EdDSA', 'repeated', 'bearer', DECLARED_AUTH_VARIANT),
  ]
}

/**
 * `--declared`: every default row with one repeated token beside its twin that declares
 * `req.auth` on the app (`declareRequestAuth`), so that the interleaved pass compares both with
 * bare Express given the same request, and the twin with the default row, in the same cycles.
 */
export function declaredSuite(): Scenario[] {
  const list: Scenario[] = [BARE]
  for (const alg of ALGORITHMS) {
    for (const transport of ['bearer', 'cookie'] as const) {
      list.push(gate(alg, 'repeated', transport))
      list.push(gate(alg, 'repeated', transport, DECLARED_AUTH_VARIANT))
    }
  }
  return list
}

/** The two rows of the fixed-rate latency run. */
/**
 * The V8 flag of the fixed-rate pass's second pair. The server is pinned to one core, but V8 still
 * splits each garbage collection among its worker threads, which then take turns on that core; a
 * pause lasts longer than the same work done by one thread (see docs/performance.md).
 */
export const SINGLE_THREADED_GC = '--single-threaded-gc'

function withSingleThreadedGc(scenario: Scenario): Scenario {
  return {
    ...scenario,
    id: `${scenario.id}/single-threaded-gc`,
    label: `${scenario.label}, ${SINGLE_THREADED_GC}`,
    nodeArgs: [SINGLE_THREADED_GC],
  }
}

const PACED: Scenario[] = [BARE, gate('EdDSA', 'repeated', 'bearer')]

/**
 * The fixed-rate latency pass: bare Express against jwt-gate, with Node's default flags and with
 * {@link SINGLE_THREADED_GC} (each jwt-gate row compared with the bare row of the same flags).
 */
export const FIXED_RATE: Scenario[] = [...PACED, ...PACED.map(withSingleThreadedGc)]

/** The jose row a scenario is compared with (same algorithm and token mode). */
export function joseBaselineId(scenario: Scenario): string | undefined {
  if (scenario.alg === undefined || scenario.tokens === 'none') return undefined
  return id(['jose', scenario.alg, scenario.tokens])
}
