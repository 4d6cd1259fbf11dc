/**
 * fast-check arbitraries for hostile requests: header values, cookie jars, token-shaped strings
 * (mutations of real tokens, segments of arbitrary JSON, raw junk) and claim sets whose registered
 * claims take any JSON value.
 */
import fc from 'fast-check'
import { b64u, forge } from '../../attacks/helpers/forge.js'
import { issuerKeys } from '../../attacks/helpers/keys.js'
import { ISSUER, NOW_S } from '../../helpers/tokens.js'
import { AUDIENCE } from '../../attacks/helpers/targets.js'

/**
 * Runs per property: bounded in CI, raised on demand
 * (`FUZZ_RUNS=20000 npx vitest run test/fuzz`).
 */
export const RUNS = Number.parseInt(process.env.FUZZ_RUNS ?? '300', 10)

/** Per-test time limit: the 20 s default for CI runs, more for long runs. */
export const FUZZ_TIMEOUT = Math.max(20_000, RUNS * 20)

/** Options for `fc.assert`, with a seed from `FUZZ_SEED` to replay a failure. */
export function fuzzOptions(): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED
  return { numRuns: RUNS, ...(seed === undefined ? {} : { seed: Number(seed) }) }
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Strings over the characters that matter to the parsers, plus anything at all. */
export const junk = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({
    unit: fc.constantFrom(...`${B64URL}.=+/ ,;"\t\r\n%\u0000\u00a0\u2024`.split('')),
    maxLength: 120,
  }),
)

/** A value that is JSON-encodable: anything `JSON.parse` could return. */
export const jsonValue = fc.jsonValue({ maxDepth: 3 })

/** Mostly `usual`, sometimes one of the hostile alternatives. */
function mostly<T>(
  usual: fc.Arbitrary<T>,
  ...hostile: fc.Arbitrary<unknown>[]
): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: usual, weight: 3 * hostile.length },
    ...hostile.map((arbitrary) => ({ arbitrary, weight: 1 })),
  )
}

/** A NumericDate claim: mostly plausible numbers, sometimes any JSON or a boundary. */
const nearNow = (from: number, to: number): fc.Arbitrary<number> =>
  fc.integer({ min: NOW_S + from, max: NOW_S + to })
const dateJunk = [
  fc.double({ noNaN: false }),
  fc.constantFrom(0, -1, 8.64e12, 8.64e12 + 1, -8.64e12, Number.MAX_SAFE_INTEGER),
  jsonValue,
  fc.constant(undefined),
]

/** Claims around a valid set: each registered claim may be missing, right, near-miss or junk. */
export const claims = fc.record({
  iss: mostly(fc.constant(ISSUER), fc.constant(`${ISSUER}/`), fc.constant(undefined), jsonValue),
  sub: mostly(fc.constant('alice'), fc.string({ maxLength: 8 }), fc.constant(undefined), jsonValue),
  aud: mostly(
    fc.constant(AUDIENCE),
    fc.constant([AUDIENCE, 'other']),
    fc.constant(undefined),
    jsonValue,
  ),
  exp: mostly(nearNow(-50, 1000), ...dateJunk),
  nbf: mostly(nearNow(-1000, 50), ...dateJunk),
  iat: mostly(nearNow(-1000, 50), ...dateJunk),
  jti: mostly(fc.constant(undefined), fc.string({ maxLength: 8 }), jsonValue),
  roles: mostly(fc.constant(['user']), fc.constant(undefined), jsonValue),
  extra: mostly(fc.constant(undefined), jsonValue),
})

/** Protected headers around a valid HS256 header, with every parameter an attack may use. */
export const header = fc.record({
  alg: mostly(
    fc.constant('HS256'),
    fc.constantFrom('none', 'HS512', 'RS256', 'hs256', ''),
    jsonValue,
  ),
  typ: mostly(fc.constantFrom('JWT', undefined), jsonValue),
  kid: mostly(fc.constant(undefined), fc.string({ maxLength: 8 }), jsonValue),
  crit: mostly(fc.constant(undefined), jsonValue),
  b64: mostly(fc.constant(undefined), fc.boolean()),
  zip: mostly(fc.constant(undefined), fc.constant('DEF')),
  cty: mostly(fc.constant(undefined), fc.constant('JWT'), jsonValue),
  jku: mostly(fc.constant(undefined), fc.constant('http://127.0.0.1:1/jwks')),
})

function clean(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))
}

/** A token HMAC-signed with the trusted secret: the signature is valid, the content is fuzzed. */
export const signedToken = fc
  .tuple(header, claims)
  .map(([h, c]) =>
    forge({ header: clean(h), payload: clean(c), sign: { alg: 'HS256', key: issuerKeys.secret } }),
  )

/** A valid token with one character replaced, inserted or deleted. */
export const mutatedToken = fc
  .tuple(
    signedToken,
    fc.nat(),
    fc.constantFrom('replace', 'insert', 'delete'),
    fc.constantFrom(...`${B64URL}.=+/ %`.split('')),
  )
  .map(([token, at, op, char]) => {
    const i = at % token.length
    if (op === 'delete') return token.slice(0, i) + token.slice(i + 1)
    if (op === 'insert') return token.slice(0, i) + char + token.slice(i)
    return token.slice(0, i) + char + token.slice(i + 1)
  })

/** Three segments of arbitrary JSON values or bytes, unsigned. */
export const segmentsToken = fc
  .tuple(
    fc.oneof(
      jsonValue.map((v) => JSON.stringify(v) ?? ''),
      fc.string({ unit: 'binary', maxLength: 40 }),
    ),
    fc.oneof(
      jsonValue.map((v) => JSON.stringify(v) ?? ''),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')),
    ),
    fc.uint8Array({ maxLength: 80 }),
  )
  .map(([h, p, s]) => `${b64u(h)}.${b64u(p)}.${b64u(s)}`)

/** Every kind of token-shaped string. */
export const tokenLike = fc.oneof(signedToken, mutatedToken, segmentsToken, junk)

/** An `Authorization` header value: a scheme (or none) and a token-shaped string. */
export const authorization = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Bearer', 'Basic ', 'Token ', ''),
      tokenLike,
      fc.constantFrom('', ' ', ',', ' x'),
    )
    .map(([scheme, token, tail]) => `${scheme}${token}${tail}`),
  junk,
)

/** A cookie jar as cookie-parser would produce it, values of any type. */
export const cookieJar = fc.dictionary(
  fc.oneof(
    fc.constantFrom('access_token', 'Access_Token', '__proto__', 'constructor'),
    fc.string({ maxLength: 6 }),
  ),
  fc.oneof(tokenLike, jsonValue),
  { maxKeys: 3 },
)
