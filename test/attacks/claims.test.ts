/**
 * Registered claims (RFC 7519 §4.1) on validly signed tokens: every time claim missing, past,
 * future, of the wrong type, non-finite (`1e309` parses to Infinity) or outside the ECMAScript
 * Date range; issuer and audience near-misses (RFC 7519 §4.1.1 / §4.1.3 are exact string
 * comparisons); and a missing or malformed subject.
 */
import type { AuthErrorCode } from '../../src/index.js'
import { runAttackTable } from './helpers/harness.js'
import type { AttackRow } from './helpers/harness.js'
import { ISSUER, NOW_S } from '../helpers/tokens.js'
import { AUDIENCE, tokenFor, validClaims } from './helpers/targets.js'
import type { Target } from './helpers/targets.js'

const CLAIMS_INVALID: AuthErrorCode[] = ['ERR_AUTH_CLAIMS_INVALID']

/** Claims as JSON text with some members written verbatim (numbers JSON.stringify cannot make). */
function rawClaims(changes: Record<string, unknown>, verbatim: Record<string, string>): string {
  const claims: Record<string, unknown> = { ...validClaims(), ...changes }
  for (const name of Object.keys(verbatim)) delete claims[name]
  const members = Object.entries(verbatim).map(([name, text]) => `,${JSON.stringify(name)}:${text}`)
  return JSON.stringify(claims).slice(0, -1) + members.join('') + '}'
}

const rows: AttackRow[] = []
const signed = (
  ref: string,
  name: string,
  claims: Record<string, unknown>,
  codes: readonly AuthErrorCode[],
): AttackRow => ({ ref, name, build: (t: Target) => ({ token: tokenFor(t, { claims }) }), codes })
const verbatim = (
  ref: string,
  name: string,
  members: Record<string, string>,
  codes: readonly AuthErrorCode[],
): AttackRow => ({
  ref,
  name,
  build: (t: Target) => ({ token: tokenFor(t, { rawPayload: rawClaims({}, members) }) }),
  codes,
})

const WRONG_TYPES: [string, unknown][] = [
  ['a numeric string', String(NOW_S + 600)],
  ['an ISO date string', '2030-01-01T00:00:00Z'],
  ['true', true],
  ['false', false],
  ['an array', [NOW_S + 600]],
  ['null', null],
  ['an object', { value: NOW_S + 600 }],
  ['an empty string', ''],
]
const NON_FINITE: [string, string][] = [
  ['1e309 (Infinity)', '1e309'],
  ['-1e309 (-Infinity)', '-1e309'],
  ['1e400', '1e400'],
  ['just above the Date range (8.64e12 + 1 s)', '8640000000001'],
  ['9e15', '9e15'],
  ['-9e15', '-9e15'],
  ['Number.MAX_VALUE', '1.7976931348623157e308'],
]

for (const claim of ['exp', 'nbf', 'iat']) {
  for (const [label, value] of WRONG_TYPES) {
    rows.push(
      signed(
        'RFC 7519 §2 (NumericDate)',
        `${claim} is ${label}`,
        { [claim]: value },
        CLAIMS_INVALID,
      ),
    )
  }
  for (const [label, text] of NON_FINITE) {
    rows.push(
      verbatim(
        'RFC 7519 §2 (NumericDate) / ECMA-262 §21.4.1.1',
        `${claim} is ${label}`,
        { [claim]: text },
        CLAIMS_INVALID,
      ),
    )
  }
}

rows.push(
  signed(
    'RFC 7519 §4.1.4 (exp required by policy)',
    'exp missing',
    { exp: undefined },
    CLAIMS_INVALID,
  ),
  signed('RFC 7519 §4.1.4', 'exp an hour ago', { exp: NOW_S - 3600 }, ['ERR_AUTH_TOKEN_EXPIRED']),
  signed('RFC 7519 §4.1.4', 'exp 6 s ago (tolerance is 5 s)', { exp: NOW_S - 6 }, [
    'ERR_AUTH_TOKEN_EXPIRED',
  ]),
  signed('RFC 7519 §4.1.4', 'exp at the epoch', { exp: 0 }, ['ERR_AUTH_TOKEN_EXPIRED']),
  signed('RFC 7519 §4.1.4', 'exp negative', { exp: -1 }, ['ERR_AUTH_TOKEN_EXPIRED']),
  signed('RFC 7519 §4.1.4', 'exp fractional, just past', { exp: NOW_S - 5.5 }, [
    'ERR_AUTH_TOKEN_EXPIRED',
  ]),
  signed('RFC 7519 §4.1.5', 'nbf an hour ahead', { nbf: NOW_S + 3600 }, [
    'ERR_AUTH_TOKEN_NOT_YET_VALID',
  ]),
  signed('RFC 7519 §4.1.5', 'nbf 6 s ahead', { nbf: NOW_S + 6 }, ['ERR_AUTH_TOKEN_NOT_YET_VALID']),
  signed('RFC 7519 §4.1.5', 'nbf at the end of the Date range', { nbf: 8.64e12 }, [
    'ERR_AUTH_TOKEN_NOT_YET_VALID',
  ]),
  signed('RFC 7519 §4.1.6', 'iat a day ahead', { iat: NOW_S + 86_400 }, [
    'ERR_AUTH_TOKEN_ISSUED_IN_FUTURE',
  ]),
  signed('RFC 7519 §4.1.6', 'iat 6 s ahead', { iat: NOW_S + 6 }, [
    'ERR_AUTH_TOKEN_ISSUED_IN_FUTURE',
  ]),
  signed(
    'RFC 7519 §4.1.4',
    'exp in the past and nbf in the future',
    { exp: NOW_S - 100, nbf: NOW_S + 100 },
    ['ERR_AUTH_TOKEN_EXPIRED', 'ERR_AUTH_TOKEN_NOT_YET_VALID'],
  ),
  verbatim(
    'RFC 8259 §6 (number grammar)',
    'exp as a hexadecimal literal',
    { exp: '"0x7fffffff"' },
    CLAIMS_INVALID,
  ),
  verbatim('RFC 8259 §6', 'exp written as -0', { exp: '-0' }, ['ERR_AUTH_TOKEN_EXPIRED']),
)

const ISSUER_NEAR_MISSES: [string, unknown][] = [
  ['upper case', ISSUER.toUpperCase()],
  ['host in upper case', ISSUER.replace('auth.example.org', 'AUTH.EXAMPLE.ORG')],
  ['a trailing slash', `${ISSUER}/`],
  ['a trailing space', `${ISSUER} `],
  ['a leading space', ` ${ISSUER}`],
  ['a prefix of it', ISSUER.slice(0, -4)],
  ['it as a prefix of an attacker host', `${ISSUER}.evil.example`],
  ['it as a path of an attacker host', `https://evil.example/${ISSUER}`],
  ['http instead of https', ISSUER.replace('https', 'http')],
  ['a default port added', ISSUER.replace('.org', '.org:443')],
  ['a Cyrillic homoglyph', ISSUER.replace('a', '\u0430')],
  ['percent-encoded', ISSUER.replace('.', '%2E')],
  ['an array holding it', [ISSUER]],
  ['an object', { iss: ISSUER }],
  ['null', null],
  ['a number', 1],
  ['missing (no issuer: null configured)', undefined],
]
for (const [label, iss] of ISSUER_NEAR_MISSES) {
  rows.push(
    signed('RFC 7519 §4.1.1 (iss exact match)', `iss ${label}`, { iss }, [
      'ERR_AUTH_ISSUER_UNTRUSTED',
    ]),
  )
}

const AUDIENCE_NEAR_MISSES: [string, unknown][] = [
  ['upper case', AUDIENCE.toUpperCase()],
  ['a trailing slash', `${AUDIENCE}/`],
  ['a trailing space', `${AUDIENCE} `],
  ['a prefix of it', AUDIENCE.slice(0, -1)],
  ['it as a prefix', `${AUDIENCE}-admin`],
  ['another audience', 'api://other'],
  ['an empty array', []],
  ['an array of other audiences', ['api://other', 'api://third']],
  ['a nested array holding it', [[AUDIENCE]]],
  ['an array with it and a non-string', [AUDIENCE, 1]],
  ['an array with it and null', [null, AUDIENCE]],
  ['an object keyed by it', { [AUDIENCE]: true }],
  ['null', null],
  ['a number', 0],
  ['an empty string', ''],
  ['comma-joined with it', `api://other,${AUDIENCE}`],
  ['space-joined with it', `api://other ${AUDIENCE}`],
  ['missing', undefined],
]
for (const [label, aud] of AUDIENCE_NEAR_MISSES) {
  rows.push(signed('RFC 7519 §4.1.3 (aud)', `aud ${label}`, { aud }, ['ERR_AUTH_AUDIENCE_INVALID']))
}

const SUBJECTS: [string, unknown][] = [
  ['missing', undefined],
  ['empty', ''],
  ['a number', 42],
  ['zero', 0],
  ['an object', { name: 'alice' }],
  ['an array', ['alice']],
  ['null', null],
  ['true', true],
]
for (const [label, sub] of SUBJECTS) {
  rows.push(signed('RFC 7519 §4.1.2 (sub)', `sub ${label}`, { sub }, CLAIMS_INVALID))
}
for (const [label, jti] of [
  ['empty', ''],
  ['a number', 7],
  ['an object', {}],
] as const) {
  rows.push(signed('RFC 7519 §4.1.7 (jti)', `jti ${label}`, { jti }, CLAIMS_INVALID))
}

runAttackTable('registered claims', rows)
