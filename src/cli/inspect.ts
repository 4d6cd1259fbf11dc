/**
 * `jwt-gate inspect`: shows a token's header and claims with readable times and, given a key,
 * runs the middleware's own verification and names the rule that rejects the token.
 *
 * @module
 */
import type { Algorithm } from '../index.js'
import { SUPPORTED_ALGORITHMS } from '../index.js'
import {
  isoDate,
  nonNegativeNumber,
  oneOf,
  repeatableOptions,
  switchOptions,
  valueOptions,
  type ParsedArgs,
} from './args.js'
import { defineCommand } from './command.js'
import { CommandError, EXIT, UsageError, printJson, type CliIo } from './io.js'
import {
  keySourceFromFlags,
  verifyWithCore,
  type ClaimsPreset,
  type PolicyFlags,
  type VerifyOutcome,
} from './inspect-verify.js'
import { formatRelative, numericDate } from './relative-time.js'
import { secretOptionsConfig } from './secret.js'
import { cleanTokenInput, decodeToken, type DecodedToken } from './token-parts.js'

const TIME_CLAIMS = ['iat', 'nbf', 'exp'] as const
/** The library's claims presets by name: every one (the record's keys are checked to be all). */
const PRESETS = Object.keys({
  default: true,
  clustercockpit: true,
  authotron: true,
} satisfies Record<ClaimsPreset, true>) as ClaimsPreset[]
const ALGORITHMS = SUPPORTED_ALGORITHMS
/** What the middleware's JWT_GATE_AUDIENCE_UNCHECKED start-up warning says, in `inspect`'s terms. */
const AUDIENCE_NOT_CHECKED =
  'audience not checked: a token minted for any other API passes too; pass --audience to check "aud"'

const help = `Usage: jwt-gate inspect [TOKEN|-] [key option] [policy options] [--json]

Shows a token's header and claims, with iat/nbf/exp as dates and how long ago or until.
The signature is never printed. Reads the token from standard input when TOKEN is "-" or
absent; a leading "Bearer " is ignored.

With a key, runs the same verification as the middleware (createAuthenticator) and prints the
rule that rejects the token (its error code and message) or that it passes. Exit code 1 when
the token is rejected or cannot be decoded.

Key (at most one):
  --key FILE              PEM (public key, certificate or private key), JWK, JWKS, or
                          ClusterCockpit raw base64
  --jwks URL              a JWKS endpoint (https:, or http: on loopback)
  --ed25519 BASE64        ClusterCockpit raw public key (JWT_PUBLIC_KEY's value)
  --secret-env NAME       HMAC secret from env var NAME (never on the command line)
  --secret-file FILE      HMAC secret from FILE
  --secret-encoding ENC   utf8 (default) or base64

Policy (as the issuer options of the middleware):
  --issuer ISS            the trusted issuer (default: the token's own iss, reported as unchecked)
  --no-iss                the issuer accepts tokens without iss (ClusterCockpit local tokens)
  --audience AUD          required audience (repeatable: any of them); without it, "aud"
                          is not checked and a note says so
  --alg ALG               allowed algorithm (repeatable; default: derived from the key)
  --clock-tolerance SEC   clock skew tolerance in seconds (middleware default 5)
  --max-token-age SEC     maximum age from iat
  --claims-preset NAME    default, clustercockpit or authotron
  --roles-claim PATH      claim path of the roles (middleware rolesClaim; default roles)
  --scopes-claim PATH     claim path of the scopes (scopesClaim; default scope, then scopes)
  --username-claim PATH   claim path of the username a user check looks up (username)
  --now ISO-DATE          evaluate at this time instead of now

Output:
  --json                  machine-readable output
  -h, --help              this help

Examples:
  jwt-gate inspect eyJhbGciOi...
  pbpaste | jwt-gate inspect --key keys/public.pem --issuer https://auth.example
  jwt-gate inspect "$TOKEN" --ed25519 "$JWT_PUBLIC_KEY" --no-iss
  jwt-gate inspect "$TOKEN" --secret-env JWT_SECRET --issuer auth-o-tron --json
`

/** One time claim made readable. */
interface TimeInfo {
  value: unknown
  iso: string | undefined
  relative: string | undefined
}

function timeInfo(claims: Record<string, unknown> | undefined, now: Date) {
  const times: Partial<Record<(typeof TIME_CLAIMS)[number], TimeInfo>> = {}
  for (const name of TIME_CLAIMS) {
    if (claims?.[name] === undefined) continue
    const date = numericDate(claims[name])
    times[name] = {
      value: claims[name],
      iso: date?.toISOString(),
      relative: date && formatRelative(date, now),
    }
  }
  return times
}

function printSection(io: CliIo, title: string, record: Record<string, unknown> | undefined): void {
  io.stdout(`${title}\n`)
  if (record === undefined) {
    io.stdout('  (not decodable)\n')
    return
  }
  const width = Math.max(3, ...Object.keys(record).map((k) => k.length))
  for (const [name, value] of Object.entries(record)) {
    io.stdout(`  ${name.padEnd(width)}  ${JSON.stringify(value)}\n`)
  }
}

function printText(
  io: CliIo,
  decoded: DecodedToken,
  times: ReturnType<typeof timeInfo>,
  verification: VerifyOutcome | undefined,
  notes: string[],
): void {
  printSection(io, 'Header', decoded.header)
  printSection(io, 'Claims', decoded.claims)
  const timeLines = Object.entries(times)
  if (timeLines.length > 0) {
    io.stdout('Times\n')
    for (const [name, t] of timeLines) {
      io.stdout(
        t.iso === undefined
          ? `  ${name}  not a valid NumericDate\n`
          : `  ${name}  ${t.iso}  (${t.relative ?? ''})\n`,
      )
    }
  }
  io.stdout(`Signature\n  ${decoded.signatureBytes} bytes (not shown)\n`)
  for (const problem of decoded.problems) io.stdout(`Problem: ${problem}\n`)
  for (const note of notes) io.stdout(`Note: ${note}\n`)
  if (verification === undefined) {
    io.stdout(
      'Verification\n  not verified: give --key, --jwks, --ed25519 or --secret-env to verify\n',
    )
  } else if (verification.result === 'pass') {
    io.stdout(
      `Verification\n  PASS: verified as subject ${JSON.stringify(verification.subject)}` +
        `, issuer ${JSON.stringify(verification.issuer ?? null)}` +
        `, roles ${JSON.stringify(verification.roles)}, scopes ${JSON.stringify(verification.scopes)}` +
        `${verification.username === undefined ? '' : `, username ${JSON.stringify(verification.username)}`}\n`,
    )
  } else {
    io.stdout(
      `Verification\n  REJECTED by ${verification.code} (HTTP ${verification.status}): ${verification.message}\n`,
    )
    for (const issue of verification.issues ?? []) {
      io.stdout(`    ${issue.path.join('.') || '(claims)'}: ${issue.message}\n`)
    }
  }
}

/** The username probe knows every user, so "unknown user" means the mapping found none. */
function isNoUsername(verification: VerifyOutcome): boolean {
  return verification.result === 'rejected' && verification.code === 'ERR_AUTH_USER_UNKNOWN'
}

function algorithmList(values: string[] | undefined): Algorithm[] | undefined {
  if (values === undefined || values.length === 0) return undefined
  return values
    .flatMap((v) => v.split(','))
    .map((v) => oneOf('alg', v.trim(), ALGORITHMS) as Algorithm)
}

/** The command line of `inspect`. */
const OPTIONS = {
  ...valueOptions('key', 'jwks', 'ed25519', 'issuer', 'clock-tolerance', 'max-token-age'),
  ...valueOptions('claims-preset', 'roles-claim', 'scopes-claim', 'username-claim', 'now'),
  ...secretOptionsConfig,
  ...repeatableOptions('audience', 'alg'),
  ...switchOptions('no-iss', 'json'),
}
type Values = ParsedArgs<typeof OPTIONS>['values']

/** The issuer policy of the command line, but for the issuer (see {@link pinnedIssuer}). */
function policyOf(values: Values): Omit<PolicyFlags, 'issuer'> {
  return {
    audience: values.audience ?? [],
    algorithms: algorithmList(values.alg),
    clockTolerance: nonNegativeNumber('clock-tolerance', values['clock-tolerance']),
    maxTokenAge: nonNegativeNumber('max-token-age', values['max-token-age']),
    claims: oneOf('claims-preset', values['claims-preset'], PRESETS),
    // Passed to the core unchecked: the middleware's own option parsing judges them.
    mapping: {
      rolesClaim: values['roles-claim'],
      scopesClaim: values['scopes-claim'],
      username: values['username-claim'],
    },
  }
}

/** The trusted issuer: `--no-iss`, `--issuer`, or else the token's own `iss`, with a note. */
function pinnedIssuer(values: Values, decoded: DecodedToken, notes: string[]): string | null {
  if (values['no-iss']) return null
  if (values.issuer !== undefined) return values.issuer
  notes.push('issuer not pinned: trusted the token\'s own "iss"; pass --issuer to check it')
  const tokenIss = decoded.claims?.iss
  return typeof tokenIss === 'string' ? tokenIss : null
}

/** Notes on what the verification did not check, or what it means for a user check. */
function verificationNotes(values: Values, verification: VerifyOutcome, notes: string[]): void {
  if (!verification.audienceChecked) notes.push(AUDIENCE_NOT_CHECKED)
  const usernameClaim = values['username-claim']
  if (usernameClaim !== undefined && isNoUsername(verification)) {
    notes.push(
      `--username-claim ${JSON.stringify(usernameClaim)} gives no username: a user check refuses the token`,
    )
  }
}

/** The token from the argument, or standard input for "-" or none. */
async function readToken(io: CliIo, positional: string | undefined): Promise<string> {
  const token = cleanTokenInput(
    positional === undefined || positional === '-' ? await io.readStdin() : positional,
  )
  if (token === '') throw new CommandError('no token given')
  return token
}

/** `jwt-gate inspect`. */
export const inspectCommand = defineCommand({
  name: 'inspect',
  summary: 'show a token and, with a key, run the middleware verification on it',
  help,
  options: OPTIONS,
  maxPositionals: 1,
  async run({ values, positionals }, io) {
    if (values['no-iss'] && values.issuer !== undefined) {
      throw new UsageError('--issuer and --no-iss contradict each other')
    }
    const now = isoDate('now', values.now) ?? io.now()
    const policy = policyOf(values)
    const encoding =
      oneOf('secret-encoding', values['secret-encoding'], ['utf8', 'base64'] as const) ?? 'utf8'
    const key = await keySourceFromFlags(io, {
      key: values.key,
      jwks: values.jwks,
      ed25519: values.ed25519,
      secret: { env: values['secret-env'], file: values['secret-file'], encoding },
    })
    const token = await readToken(io, positionals[0])
    const decoded = decodeToken(token)
    const times = timeInfo(decoded.claims, now)

    const notes: string[] = []
    let verification: VerifyOutcome | undefined
    if (key !== undefined) {
      const issuer = pinnedIssuer(values, decoded, notes)
      verification = await verifyWithCore(token, key, { ...policy, issuer }, now)
      verificationNotes(values, verification, notes)
    }
    if (values.json) {
      printJson(io, {
        header: decoded.header ?? null,
        claims: decoded.claims ?? null,
        times,
        signatureBytes: decoded.signatureBytes,
        problems: decoded.problems,
        notes,
        verification: verification ?? null,
      })
    } else {
      printText(io, decoded, times, verification, notes)
    }
    if (verification !== undefined) return verification.result === 'pass' ? EXIT.ok : EXIT.failed
    return decoded.problems.length === 0 ? EXIT.ok : EXIT.failed
  },
})
