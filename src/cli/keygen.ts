/**
 * `jwt-gate keygen`: a new signing key pair in every format the middleware and ClusterCockpit
 * read, or a random HMAC secret of its algorithm's full strength.
 *
 * @module
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { WEAK_SECRET_RULE, weakSecretReason } from '../keys/secret-checks.js'
import { oneOf, atMostPositionals, parseCommandArgs } from './args.js'
import type { Command } from './command.js'
import { CommandError, EXIT, printJson, type CliIo } from './io.js'
import { toPublicJwk, toRawPrivate, toRawPublic, toSpkiPem, type PublicJwk } from './key-formats.js'

const PAIR_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const
const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const
const ALGORITHMS = [...PAIR_ALGORITHMS, ...HMAC_ALGORITHMS]
const RSA_BITS = ['2048', '3072', '4096'] as const

type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number]
/**
 * HMAC secret sizes: the hash's output, the least RFC 7518 §3.2 allows and all the strength the
 * MAC has; more bytes add nothing.
 */
const SECRET_BYTES: Readonly<Record<HmacAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 }
/** The environment variable the printed middleware snippet reads the secret from. */
const SECRET_ENV = 'JWT_SECRET'

const help = `Usage: jwt-gate keygen [--alg EdDSA|ES256|RS256|HS256|HS384|HS512] [--out DIR] [--force]
                      [--json]

Generates a signing key pair and writes it in every format jwt-gate and ClusterCockpit read,
or, with --alg HS256, HS384 or HS512, a random HMAC secret.

With --out DIR, writes (refusing to overwrite unless --force):
  private.pem           PKCS#8 private key (mode 0600)
  public.pem            SPKI public key       -> key: { pem }
  public.jwk.json       public JWK with kid   -> key: { jwk }
  jwks.json             JWKS of that one key  -> key: { jwks }, or serve it as a JWKS URL
  clustercockpit.env    EdDSA only (mode 0600): JWT_PUBLIC_KEY (raw 32 bytes) and
                        JWT_PRIVATE_KEY (Go's 64-byte seed||public), standard base64
  secret.b64            HMAC only (mode 0600): the secret in standard base64, for
                        key: { secret: process.env.${SECRET_ENV}, encoding: 'base64' }
Without --out, prints all of it to standard output.

Options:
  --alg ALG      EdDSA (Ed25519, the default), ES256 (P-256) or RS256; or HS256, HS384,
                 HS512: a secret of 32, 48 or 64 random bytes (the hash's size)
  --bits N       RSA modulus length: 2048 (default), 3072 or 4096
  --out DIR      directory to write the files to (created when missing)
  --force        overwrite existing files
  --json         machine-readable output
  -h, --help     this help

The kid is the key's RFC 7638 thumbprint.

The middleware, sign and inspect warn (JWT_GATE_WEAK_SECRET) about an HMAC secret with
  ${WEAK_SECRET_RULE},
as typed and made-up secrets often have; a secret from keygen is random and never has.

Examples:
  jwt-gate keygen --out ./keys
  jwt-gate keygen --alg ES256 --out ./keys --json
  jwt-gate keygen --alg HS256 --out ./keys
  jwt-gate sign --secret-file ./keys/secret.b64 --secret-encoding base64 --sub alice
`

/** A generated HMAC secret and where it goes in the middleware's options. */
interface SecretMaterial {
  alg: HmacAlgorithm
  bytes: number
  encoding: 'base64'
  secret: string
  middleware: string
}

/** Every representation of one generated key pair. */
interface KeyMaterial {
  alg: string
  kid: string
  privatePem: string
  publicPem: string
  publicJwk: PublicJwk
  jwks: { keys: PublicJwk[] }
  clusterCockpit?: { JWT_PUBLIC_KEY: string; JWT_PRIVATE_KEY: string }
}

function generate(alg: (typeof PAIR_ALGORITHMS)[number], bits: number): KeyObject {
  switch (alg) {
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: bits }).privateKey
  }
}

function material(alg: string, privateKey: KeyObject): KeyMaterial {
  const publicJwk = toPublicJwk(privateKey)
  const result: KeyMaterial = {
    alg,
    kid: publicJwk.kid,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: toSpkiPem(privateKey),
    publicJwk,
    jwks: { keys: [publicJwk] },
  }
  if (privateKey.asymmetricKeyType === 'ed25519') {
    result.clusterCockpit = {
      JWT_PUBLIC_KEY: toRawPublic(privateKey),
      JWT_PRIVATE_KEY: toRawPrivate(privateKey),
    }
  }
  return result
}

/** A file `--out` writes: name, content, and whether it holds a private key or secret. */
type OutputFile = [name: string, content: string, secret: boolean]

/** The files `--out` writes for a key pair. */
function files(keys: KeyMaterial): OutputFile[] {
  const list: OutputFile[] = [
    ['private.pem', keys.privatePem, true],
    ['public.pem', keys.publicPem, false],
    ['public.jwk.json', `${JSON.stringify(keys.publicJwk, null, 2)}\n`, false],
    ['jwks.json', `${JSON.stringify(keys.jwks, null, 2)}\n`, false],
  ]
  if (keys.clusterCockpit !== undefined) {
    const { JWT_PUBLIC_KEY, JWT_PRIVATE_KEY } = keys.clusterCockpit
    const env = `# ClusterCockpit .env lines (standard base64 of the raw Ed25519 keys)\nJWT_PUBLIC_KEY="${JWT_PUBLIC_KEY}"\nJWT_PRIVATE_KEY="${JWT_PRIVATE_KEY}"\n`
    list.push(['clustercockpit.env', env, true])
  }
  return list
}

async function writeAll(dir: string, list: OutputFile[], force: boolean): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw new CommandError(
      `cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    )
  }
  const written: string[] = []
  for (const [name, content, secret] of list) {
    const path = join(dir, name)
    try {
      await writeFile(path, content, { mode: secret ? 0o600 : 0o644, flag: force ? 'w' : 'wx' })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      throw new CommandError(
        code === 'EEXIST'
          ? `${path} exists; use --force to overwrite`
          : `cannot write ${path}: ${code ?? 'error'}`,
      )
    }
    // `mode` only applies when the file is created; an overwritten file keeps its old mode.
    if (secret) await chmod(path, 0o600)
    written.push(path)
  }
  return written
}

function printMaterial(io: CliIo, keys: KeyMaterial): void {
  io.stdout(`# ${keys.alg} key pair, kid ${keys.kid}\n\n`)
  io.stdout(`# private.pem (keep secret)\n${keys.privatePem}\n`)
  io.stdout(`# public.pem\n${keys.publicPem}\n`)
  io.stdout(`# public JWK\n${JSON.stringify(keys.publicJwk, null, 2)}\n\n`)
  io.stdout(`# JWKS\n${JSON.stringify(keys.jwks, null, 2)}\n`)
  if (keys.clusterCockpit !== undefined) {
    io.stdout(
      `\n# ClusterCockpit .env (JWT_PRIVATE_KEY is secret)\nJWT_PUBLIC_KEY="${keys.clusterCockpit.JWT_PUBLIC_KEY}"\nJWT_PRIVATE_KEY="${keys.clusterCockpit.JWT_PRIVATE_KEY}"\n`,
    )
  }
}

/**
 * A random secret of the algorithm's full strength. Random bytes essentially never look weak;
 * the loop makes "never" exact, so the secret keygen prints is one the middleware takes silently.
 */
function generateSecret(alg: HmacAlgorithm): SecretMaterial {
  let bytes: Buffer
  do {
    bytes = randomBytes(SECRET_BYTES[alg])
  } while (weakSecretReason(bytes) !== undefined)
  const secret = bytes.toString('base64')
  return {
    alg,
    bytes: SECRET_BYTES[alg],
    encoding: 'base64',
    secret,
    middleware: `key: { secret: process.env.${SECRET_ENV}, encoding: 'base64' }, algorithms: ['${alg}']`,
  }
}

function isHmac(alg: (typeof ALGORITHMS)[number]): alg is HmacAlgorithm {
  return (HMAC_ALGORITHMS as readonly string[]).includes(alg)
}

/** `keygen --alg HS…`: the secret to `--out DIR` as secret.b64, or to standard output. */
async function runSecret(
  io: CliIo,
  alg: HmacAlgorithm,
  values: { out?: string | undefined; force: boolean; json: boolean },
): Promise<typeof EXIT.ok> {
  const { secret, middleware, ...facts } = generateSecret(alg)
  const title = `${alg} secret: ${facts.bytes} random bytes, standard base64`
  if (values.out === undefined) {
    if (values.json) printJson(io, { ...facts, secret, middleware })
    else {
      io.stdout(`# ${title} (keep it secret)\n${secret}\n\n`)
      io.stdout(`# In the issuer's options, with the secret in ${SECRET_ENV}:\n#   ${middleware}\n`)
    }
    return EXIT.ok
  }
  const dir = resolve(io.cwd, values.out)
  const written = await writeAll(dir, [['secret.b64', `${secret}\n`, true]], values.force)
  if (values.json) printJson(io, { ...facts, files: written, middleware })
  else {
    io.stdout(`${title}\n`)
    for (const path of written) io.stdout(`  wrote ${path}\n`)
    io.stdout(
      `In the issuer's options, with the file's content in ${SECRET_ENV}:\n  ${middleware}\n`,
    )
  }
  return EXIT.ok
}

/** `jwt-gate keygen`. */
export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'generate a key pair (PEM, JWK, JWKS, ClusterCockpit raw base64) or HMAC secret',
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      alg: { type: 'string' },
      bits: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    })
    atMostPositionals(positionals, 0)
    const alg = oneOf('alg', values.alg, ALGORITHMS) ?? 'EdDSA'
    const bits = Number(oneOf('bits', values.bits, RSA_BITS) ?? '2048')
    if (isHmac(alg)) return runSecret(io, alg, values)
    const keys = material(alg, generate(alg, bits))

    if (values.out === undefined) {
      if (values.json) printJson(io, keys)
      else printMaterial(io, keys)
      return EXIT.ok
    }
    const written = await writeAll(resolve(io.cwd, values.out), files(keys), values.force)
    const publicRaw = keys.clusterCockpit?.JWT_PUBLIC_KEY
    if (values.json) {
      printJson(io, {
        alg,
        kid: keys.kid,
        files: written,
        ...(publicRaw === undefined ? {} : { publicKeyRaw: publicRaw }),
      })
    } else {
      io.stdout(`${alg} key pair, kid ${keys.kid}\n`)
      for (const path of written) io.stdout(`  wrote ${path}\n`)
      if (publicRaw !== undefined) io.stdout(`JWT_PUBLIC_KEY="${publicRaw}"\n`)
    }
    return EXIT.ok
  },
}
