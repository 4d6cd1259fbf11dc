/**
 * The schema of `issuers[i].key`: one key source, told apart by the member that names it
 * (`ed25519`, `pem`, `jwk`, `jwks`, `jwksUrl`, `discovery` or `secret`), as a discriminated union is told apart
 * by a tag. Each source is a strict object checked by the compiler against its public type.
 * This checks the shape of the options; importing the key material (PEM parsing, RSA size, a
 * private key given by mistake) is `keys/import-key.ts`'s job, at the same start-up.
 *
 * @module
 */
import { z } from 'zod'
import type { JSONWebKeySet, JWK } from 'jose'
import { MIN_REFRESH_INTERVAL } from '../keys/remote-jwks.js'
import { fetchUrlProblem } from '../keys/provider-urls.js'
import { optionsObject } from './shape.js'
import { unknownOptionProblem } from './suggest.js'
import type {
  DiscoveryKeySource,
  Ed25519RawKeySource,
  JwkKeySource,
  JwksKeySource,
  KeySource,
  PemKeySource,
  RemoteJwksKeySource,
  SecretKeySource,
} from './types.js'

const EMPTY = 'is empty: is the environment variable it comes from set?'

/**
 * `{ ed25519: process.env.X! }` with X unset gives `undefined`, with X set to nothing `''`: the
 * message says so, rather than naming the type that was expected.
 */
function unsetProblem(input: unknown): string | undefined {
  if (input === undefined || input === null) {
    return `is missing (${String(input)}): is the environment variable or file it comes from set?`
  }
  return input === '' ? EMPTY : undefined
}

/** The text of a key (base64, PEM, URL): a non-empty string. */
const keyText = (expected: string) =>
  z.string({ error: (issue) => unsetProblem(issue.input) ?? expected }).min(1, EMPTY)

const isObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** One JWK; whether it is public, and fits its `alg`, is found when it is imported. */
const jwk = z
  .custom<JWK>(isObject, { error: (issue) => unsetProblem(issue.input) ?? 'not a JWK object' })
  .superRefine((value, ctx) => {
    for (const member of ['kid', 'alg'] as const) {
      if (value[member] !== undefined && typeof value[member] !== 'string') {
        ctx.addIssue({ code: 'custom', path: [member], message: 'must be a string' })
      }
    }
    if (value.use !== undefined && value.use !== 'sig') {
      ctx.addIssue({
        code: 'custom',
        path: ['use'],
        message: 'must be "sig" for a verification key',
      })
    }
  })

const NOT_JWKS = 'not a JWKS document ({ "keys": [...] })'

/** A JWKS document; members besides `keys` are allowed (and dropped). */
const jwksDocument = z.object(
  { keys: z.array(jwk, { error: NOT_JWKS }).min(1, 'is empty') },
  { error: (issue) => unsetProblem(issue.input) ?? NOT_JWKS },
) satisfies z.ZodType<JSONWebKeySet>

/** A duration in ms: an integer of at least `min`. */
function milliseconds(min: number) {
  const error = `must be an integer number of milliseconds, at least ${min} ms`
  return z.number({ error }).int({ error }).min(min, { error }).optional()
}

/** The fetch and cache knobs shared by `jwksUrl` and `discovery` (`RemoteFetchOptions`). */
const fetchKnobs = {
  timeout: milliseconds(1),
  cooldown: milliseconds(MIN_REFRESH_INTERVAL),
  cacheMaxAge: milliseconds(MIN_REFRESH_INTERVAL),
  cacheMinAge: milliseconds(MIN_REFRESH_INTERVAL),
  staleIfError: milliseconds(0),
  headers: z.record(z.string(), z.string()).optional(),
}

/** `cacheMinAge` above `cacheMaxAge` (both given) is a contradiction, not a bound. */
function checkAgeBounds(
  source: { cacheMinAge?: number | undefined; cacheMaxAge?: number | undefined },
  ctx: z.RefinementCtx,
): void {
  const { cacheMinAge, cacheMaxAge } = source
  if (cacheMinAge !== undefined && cacheMaxAge !== undefined && cacheMinAge > cacheMaxAge) {
    ctx.addIssue({
      code: 'custom',
      path: ['cacheMinAge'],
      message: `must not exceed cacheMaxAge (${cacheMinAge} > ${cacheMaxAge} ms)`,
    })
  }
}

const remoteJwks = optionsObject<RemoteJwksKeySource>()({
  jwksUrl: keyText('must be a URL string').superRefine((url, ctx) => {
    const problem = fetchUrlProblem(url)
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
  }),
  ...fetchKnobs,
})

/** Whether the issuer suits discovery is checked with the issuer (`keys/key-resolver.ts`). */
const discovery = optionsObject<DiscoveryKeySource>()({
  discovery: z.literal(true, { error: 'must be true (leave it out for another key source)' }),
  ...fetchKnobs,
})

const secret = optionsObject<SecretKeySource>()({
  secret: z.custom<string | Uint8Array>(
    (value) => (typeof value === 'string' && value !== '') || value instanceof Uint8Array,
    { error: (issue) => unsetProblem(issue.input) ?? 'must be a string or a Uint8Array' },
  ),
  encoding: z.enum(['utf8', 'base64'], { error: 'must be utf8 or base64' }).optional(),
})

/** The member that names a key source: its one required member. */
type NamingMember<S> = S extends unknown
  ? { [K in keyof S]-?: object extends Pick<S, K> ? never : K }[keyof S]
  : never
type KeyKind = NamingMember<KeySource>

/** Each key source by the member that names it; the compiler checks that none is left out. */
const KEY_SOURCES = {
  ed25519: optionsObject<Ed25519RawKeySource>()({ ed25519: keyText('must be a string') }),
  pem: optionsObject<PemKeySource>()({ pem: keyText('must be a string') }),
  jwk: optionsObject<JwkKeySource>()({ jwk }),
  jwks: optionsObject<JwksKeySource>()({ jwks: jwksDocument }),
  jwksUrl: remoteJwks.superRefine(checkAgeBounds),
  discovery: discovery.superRefine(checkAgeBounds),
  secret,
} satisfies { [K in KeyKind]: z.ZodType<Extract<KeySource, Record<K, unknown>>> }

const KEY_KINDS = [
  'ed25519',
  'pem',
  'jwk',
  'jwks',
  'jwksUrl',
  'discovery',
  'secret',
] as const satisfies readonly KeyKind[]

/**
 * The kind of key source `value` is, or undefined after reporting why it is none: unknown
 * members first (so that a typo gets its "did you mean"), then not exactly one naming member.
 */
function keyKindOf(value: object, ctx: z.RefinementCtx): (typeof KEY_KINDS)[number] | undefined {
  const named = KEY_KINDS.filter((kind) => kind in value)
  const kind = named.length === 1 ? named[0] : undefined
  const known: readonly string[] =
    kind === undefined ? KEY_KINDS : Object.keys(KEY_SOURCES[kind].shape)
  const unknown = Object.keys(value).find((name) => !known.includes(name))
  if (unknown !== undefined) {
    ctx.addIssue({ code: 'custom', path: [unknown], message: unknownOptionProblem(unknown, known) })
    return undefined
  }
  if (kind === undefined) {
    const found = named.length === 0 ? 'none' : named.join(', ')
    ctx.addIssue({
      code: 'custom',
      message: `must have exactly one of ${KEY_KINDS.join(', ')} (found ${found})`,
    })
  }
  return kind
}

/** `issuers[i].key`, validated by the schema of the key source it names. */
export const keySourceSchema = z.unknown().transform((value, ctx): KeySource => {
  if (!isObject(value)) {
    ctx.addIssue({ code: 'custom', message: `is required: one of ${KEY_KINDS.join(', ')}` })
    return z.NEVER
  }
  const kind = keyKindOf(value, ctx)
  if (kind === undefined) return z.NEVER
  const result = KEY_SOURCES[kind].safeParse(value)
  if (result.success) return result.data
  for (const { message, path } of result.error.issues) {
    ctx.addIssue({ code: 'custom', message, path })
  }
  return z.NEVER
})
