/**
 * `jwt-gate sign`: mints a token for tests and local development with jose's `SignJWT`.
 *
 * @module
 */
import type { KeyObject } from 'node:crypto'
import { SignJWT, type JWTPayload } from 'jose'
import { isoDate, oneOf, repeatableOptions, switchOptions, valueOptions } from './args.js'
import { defineCommand } from './command.js'
import { parseGoDuration } from './duration.js'
import {
  CommandError,
  EXIT,
  UsageError,
  parseInput,
  parseJsonObject,
  printJson,
  readTextInput,
  type CliIo,
} from './io.js'
import { pickJwk } from './jwk.js'
import { algorithmsFor, describeKey, parsePrivateKey, toPublicJwk } from './key-formats.js'
import { hmacAlgorithms } from './library.js'
import { ed25519PrivateFromRaw } from './raw-keys.js'
import { envNotSet, readSecret, secretBytes, secretOptionsConfig, wantsSecret } from './secret.js'

const help = `Usage: jwt-gate sign (--key FILE | --ed25519-private-env NAME | --secret-env NAME |
                     --secret-file FILE) [claims and options]

Mints a signed JWT for tests and local development and prints it.

Key (exactly one):
  --key FILE                    private key: PEM (PKCS#8, SEC1, PKCS#1) or private JWK
  --ed25519-private-env NAME    ClusterCockpit raw base64 private key in env var NAME
                                (e.g. JWT_PRIVATE_KEY: 64 bytes seed||public, or a 32-byte seed)
  --secret-env NAME             HMAC secret in env var NAME (never on the command line)
  --secret-file FILE            HMAC secret in FILE (one trailing newline is dropped)
  --secret-encoding ENC         utf8 (default) or base64 (ClusterCockpit's HMAC keys)

Claims (later ones win: --claims, then --claim, then the named options):
  --claims JSON                 a JSON object of claims
  --claim k=v                   a string claim (repeatable)
  --claim k:=JSON               a JSON claim, e.g. roles:='["admin"]' (repeatable)
  --iss ISS  --sub SUB  --jti JTI
  --aud AUD                     audience (repeatable: several make an array)
  --exp DURATION                lifetime from now, Go syntax: 15m (default), 1h30m;
                                negative with "=": --exp=-5m (an expired token)
  --no-exp                      no exp claim (the middleware rejects such tokens by default)
  --nbf DURATION                not-before relative to now (e.g. 0s, 5m, --nbf=-1m)
  --no-iat                      no iat claim
  --now ISO-DATE                pretend the current time is this (for iat, nbf, exp)

Header:
  --alg ALG                     default from the key: EdDSA, ES256/384/512, RS256, HS256
  --kid KID                     key id (default for --key: the JWK's kid, else the key's
                                RFC 7638 thumbprint)
  --typ TYP                     default JWT

Output:
  --json                        { token, header, claims } instead of the bare token

Examples:
  jwt-gate sign --key keys/private.pem --iss https://auth.example --sub alice \\
    --claim roles:='["admin"]' --exp 1h
  JWT_SECRET=... jwt-gate sign --secret-env JWT_SECRET --sub alice --claims '{"scope":"read"}'
`

/** The signing key with its allowed algorithms and a default kid. */
interface SigningKey {
  key: KeyObject | Uint8Array
  algorithms: readonly string[]
  description: string
  kid: string | undefined
}

/** The key options of `sign`, as parsed. */
interface KeyValues {
  key?: string | undefined
  'ed25519-private-env'?: string | undefined
  'secret-env'?: string | undefined
  'secret-file'?: string | undefined
  'secret-encoding'?: string | undefined
}

async function signingKey(io: CliIo, values: KeyValues): Promise<SigningKey> {
  const encoding = oneOf('secret-encoding', values['secret-encoding'], ['utf8', 'base64'] as const)
  const secret = {
    env: values['secret-env'],
    file: values['secret-file'],
    encoding: encoding ?? 'utf8',
  }
  const given = [values.key, values['ed25519-private-env'], wantsSecret(secret) || undefined]
  if (given.filter((g) => g !== undefined).length !== 1) {
    throw new UsageError(
      'give exactly one key: --key, --ed25519-private-env, --secret-env or --secret-file',
    )
  }
  if (wantsSecret(secret)) {
    const text = await readSecret(io, secret)
    const bytes = secretBytes(text, secret.encoding) ?? Buffer.alloc(0)
    return {
      key: new Uint8Array(bytes),
      algorithms: hmacAlgorithms(),
      description: 'HMAC secret',
      kid: undefined,
    }
  }
  const { key, kid } = await privateKey(io, values)
  if (key.type !== 'private') throw new CommandError('--key must be a private key')
  const algorithms = algorithmsFor(key)
  if (algorithms.length === 0) throw new CommandError(`cannot sign with ${describeKey(key)}`)
  return {
    key,
    algorithms,
    description: describeKey(key),
    kid: kid ?? toPublicJwk(key).kid,
  }
}

/** The private key of `--key` (with a JWK's own kid) or `--ed25519-private-env`. */
async function privateKey(
  io: CliIo,
  values: KeyValues,
): Promise<{ key: KeyObject; kid?: string | undefined }> {
  if (values.key !== undefined) {
    const path = values.key
    const text = await readTextInput(io, path, 'key file (--key)')
    const key = parseInput(path, 'key file', () => parsePrivateKey(text))
    // A JWK names its own key; keep that name so the token matches the issuer's JWKS.
    const jwkKid = text.trim().startsWith('{')
      ? (pickJwk(text) as { kid?: unknown }).kid
      : undefined
    return { key, kid: typeof jwkKid === 'string' ? jwkKid : undefined }
  }
  const name = values['ed25519-private-env'] ?? ''
  const raw = io.env[name]
  if (raw === undefined || raw === '') {
    throw new CommandError(envNotSet('--ed25519-private-env'))
  }
  return { key: ed25519PrivateFromRaw(raw) }
}

/** Parses `--claim k=v` (string) and `--claim k:=JSON`. */
function parseClaim(spec: string): [string, unknown] {
  const json = /^([^=:]+):=(.*)$/s.exec(spec)
  if (json !== null) {
    try {
      return [json[1] ?? '', JSON.parse(json[2] ?? '') as unknown]
    } catch {
      throw new UsageError(`--claim ${json[1] ?? ''}:= needs valid JSON after ":="`)
    }
  }
  const plain = /^([^=]+)=(.*)$/s.exec(spec)
  if (plain === null) throw new UsageError('--claim takes k=v or k:=JSON')
  return [plain[1] ?? '', plain[2] ?? '']
}

function parseClaimsJson(text: string): JWTPayload {
  return parseJsonObject(text, () => new UsageError('--claims must be a JSON object'))
}

function offsetSeconds(option: string, value: string): number {
  const ms = parseGoDuration(value)
  if (ms === undefined) {
    throw new UsageError(`--${option} must be a duration such as 15m, 1h30m or -5m`)
  }
  return Math.round(ms / 1000)
}

/** The claims of the token: `--claims`, then `--claim`, then the named options, at `now`. */
function buildClaims(values: ClaimValues, now: number): JWTPayload {
  const claims: JWTPayload = values.claims === undefined ? {} : parseClaimsJson(values.claims)
  for (const spec of values.claim ?? []) {
    const [name, value] = parseClaim(spec)
    claims[name] = value
  }
  if (values.iss !== undefined) claims.iss = values.iss
  if (values.sub !== undefined) claims.sub = values.sub
  if (values.jti !== undefined) claims.jti = values.jti
  const aud = values.aud ?? []
  if (aud.length > 0) claims.aud = aud.length === 1 ? aud[0]! : aud
  if (!values['no-iat']) claims.iat ??= now
  else delete claims.iat
  if (values.nbf !== undefined) claims.nbf = now + offsetSeconds('nbf', values.nbf)
  if (values['no-exp']) delete claims.exp
  else if (values.exp !== undefined || claims.exp === undefined) {
    claims.exp = now + offsetSeconds('exp', values.exp ?? '15m')
  }
  return claims
}

/** The claim options of `sign`, as parsed. */
interface ClaimValues {
  claims?: string | undefined
  claim?: string[] | undefined
  iss?: string | undefined
  sub?: string | undefined
  jti?: string | undefined
  aud?: string[] | undefined
  exp?: string | undefined
  nbf?: string | undefined
  'no-exp': boolean
  'no-iat': boolean
}

/** `jwt-gate sign`. */
export const signCommand = defineCommand({
  name: 'sign',
  summary: 'mint a token with a private key or HMAC secret (tests, local development)',
  help,
  options: {
    ...valueOptions('key', 'ed25519-private-env', 'alg', 'claims', 'iss', 'sub', 'jti'),
    ...valueOptions('exp', 'nbf', 'now', 'kid', 'typ'),
    ...secretOptionsConfig,
    ...repeatableOptions('claim', 'aud'),
    ...switchOptions('no-exp', 'no-iat', 'json'),
  },
  maxPositionals: 0,
  async run({ values }, io) {
    if (values['no-exp'] && values.exp !== undefined) {
      throw new UsageError('--exp and --no-exp contradict each other')
    }
    const now = Math.floor((isoDate('now', values.now) ?? io.now()).getTime() / 1000)
    const claims = buildClaims(values, now)

    const signer = await signingKey(io, values)
    const alg = values.alg ?? signer.algorithms[0] ?? ''
    if (!signer.algorithms.includes(alg)) {
      throw new UsageError(
        `--alg ${alg} does not fit the ${signer.description}; use ${signer.algorithms.join(', ')}`,
      )
    }
    const kid = values.kid ?? signer.kid
    const header = { alg, typ: values.typ ?? 'JWT', ...(kid === undefined ? {} : { kid }) }
    const token = await new SignJWT(claims).setProtectedHeader(header).sign(signer.key)

    if (values.json) printJson(io, { token, header, claims })
    else io.stdout(`${token}\n`)
    return EXIT.ok
  },
})
