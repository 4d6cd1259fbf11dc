/**
 * `jwt-gate convert`: a public key between PEM (SPKI), JWK and ClusterCockpit's raw base64, what
 * ClusterCockpit's `convert-pem-pubkey` tool does, and back.
 *
 * @module
 */
import { oneOf, switchOptions, valueOptions } from './args.js'
import { defineCommand } from './command.js'
import { EXIT, UsageError, parseInput, printJson, readTextInput } from './io.js'
import {
  detectKeyFormat,
  describeKey,
  isPrivateKeyText,
  parsePublicKey,
  toPublicJwk,
  toRawPublic,
  toSpkiPem,
} from './key-formats.js'

const FORMATS = ['pem', 'jwk', 'raw'] as const

const help = `Usage: jwt-gate convert --to pem|jwk|raw [--from pem|jwk|raw] [FILE|-]

Converts a public key between
  pem   SPKI "PUBLIC KEY" PEM (input also: X.509 certificate, or a private key's public half)
  jwk   JSON Web Key with kid (RFC 7638 thumbprint); input also a JWKS (pick with --kid)
  raw   ClusterCockpit's standard base64 of the raw 32-byte Ed25519 key (JWT_PUBLIC_KEY,
        CROSS_LOGIN_JWT_PUBLIC_KEY); Ed25519 only
Reads FILE, or standard input when FILE is "-" or absent. --from is detected when omitted.

Options:
  --from FORMAT     input format (default: detected)
  --to FORMAT       output format (required)
  --kid KID         the key to take from a JWKS
  --env-name NAME   with --to raw: print NAME="..." as a .env line
  --json            machine-readable output: { format, key, kty, kid }
  -h, --help        this help

Examples:
  jwt-gate convert --to raw public.pem
  jwt-gate convert --to raw --env-name CROSS_LOGIN_JWT_PUBLIC_KEY public.pem
  echo "$JWT_PUBLIC_KEY" | jwt-gate convert --from raw --to pem
  jwt-gate convert --to jwk public.pem > public.jwk.json
`

/** `jwt-gate convert`. */
export const convertCommand = defineCommand({
  name: 'convert',
  summary: 'convert a public key between PEM, JWK and ClusterCockpit raw base64',
  help,
  options: { ...valueOptions('from', 'to', 'kid', 'env-name'), ...switchOptions('json') },
  maxPositionals: 1,
  async run({ values, positionals }, io) {
    const to = oneOf('to', values.to, FORMATS)
    if (to === undefined) throw new UsageError('--to is required (pem, jwk or raw)')
    const envName = values['env-name']
    if (envName !== undefined && (to !== 'raw' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(envName))) {
      throw new UsageError('--env-name takes a variable name and goes with --to raw')
    }
    const path = positionals[0] ?? '-'
    const text = await readTextInput(io, path, 'key file')
    const detected = detectKeyFormat(text)
    const from = oneOf('from', values.from, FORMATS) ?? detected
    if (from !== detected) {
      throw new UsageError(`--from ${from} given, but the input looks like ${detected}`)
    }
    if (isPrivateKeyText(text)) {
      io.stderr('jwt-gate convert: the input is a private key; converting its public half\n')
    }
    const key = parseInput(path, 'key file', () => parsePublicKey(text, from, values.kid))

    let output: string
    if (to === 'pem') output = toSpkiPem(key)
    else if (to === 'jwk') output = `${JSON.stringify(toPublicJwk(key), null, 2)}\n`
    else output = `${toRawPublic(key)}\n`

    if (values.json) {
      printJson(io, {
        format: to,
        key: to === 'jwk' ? toPublicJwk(key) : output.trim(),
        type: describeKey(key),
        kid: toPublicJwk(key).kid,
      })
    } else if (envName !== undefined) {
      io.stdout(`${envName}="${output.trim()}"\n`)
    } else {
      io.stdout(output)
    }
    return EXIT.ok
  },
})
