/**
 * `jwt-gate keygen`: a new signing key pair in every format the middleware and ClusterCockpit
 * read, or a random HMAC secret of its algorithm's full strength.
 *
 * @module
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { SUPPORTED_ALGORITHMS, type Algorithm } from '../index.js'
import { oneOf, switchOptions, valueOptions } from './args.js'
import { defineCommand } from './command.js'
import { CommandError, EXIT, printJson, type CliIo } from './io.js'
import { toPublicJwk, toRawPrivate, toRawPublic, toSpkiPem, type PublicJwk } from './key-formats.js'
import { hmacAlgorithms, probeOptions, verdict } from './library.js'
import { hmacKeyBytes } from './secret.js'

/** The key pairs keygen makes, one per key type: the type's usual algorithm. */
const KEY_PAIRS = {
  EdDSA: () => generateKeyPairSync('ed25519').privateKey,
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  RS256: (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits }).privateKey,
} satisfies Partial<Record<Algorithm, (bits: number) => KeyObject>>
type PairAlgorithm = keyof typeof KEY_PAIRS

/** keygen's algorithms, in the library's order: its key pairs, then every HMAC algorithm. */
function keygenAlgorithms(): Algorithm[] {
  const pairs = SUPPORTED_ALGORITHMS.filter((alg) => Object.hasOwn(KEY_PAIRS, alg))
  return [...pairs, ...hmacAlgorithms()]
}

const RSA_BITS = ['2048', '3072', '4096'] as const
/** The environment variable the printed middleware snippet reads the secret from. */
const SECRET_ENV = 'JWT_SECRET'

function help(): string {
  const hmac = hmacAlgorithms()
  const sizes = hmac
    .map(hmacKeyBytes)
    .join(', ')
    .replace(/, (?=[^,]*$)/, ' or ')
  return `Usage: jwt-gate keygen [--alg ${keygenAlgorithms().join('|')}] [--out DIR] [--force]
                      [--json]

Generates a signing key pair and writes it in every format jwt-gate and ClusterCockpit read,
or, with --alg ${hmac.join(', ').replace(/, (?=[^,]*$)/, ' or ')}, a random HMAC secret.

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
  --alg ALG      EdDSA (Ed25519, the default), ES256 (P-256) or RS256; or ${hmac.join(', ')}:
                 a secret of ${sizes} random bytes (the hash's size)
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
}

/**
 * The library's weak-secret rule in words (its JWT_GATE_WEAK_SECRET warning gives the reason that
 * applies). Documentation only: keygen asks the library itself whether a secret is weak, and a
 * test keeps these words equal to the library's own.
 */
const WEAK_SECRET_RULE =
  'fewer than 8 distinct byte values, a run of 8 identical bytes, or a pattern repeated throughout'

/** A generated HMAC secret and where it goes in the middleware's options. */
interface SecretMaterial {
  alg: Algorithm
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
 * the loop makes "never" exact, so the secret keygen prints is one the middleware takes silently:
 * the library is asked, and a secret it refuses or warns about is thrown away.
 */
async function generateSecret(alg: Algorithm): Promise<SecretMaterial> {
  const size = hmacKeyBytes(alg)
  let bytes: Buffer
  let judged
  do {
    bytes = randomBytes(size)
    judged = await verdict(probeOptions({ secret: bytes }))
  } while (judged.refusal !== undefined || judged.warnings.length > 0)
  const secret = bytes.toString('base64')
  return {
    alg,
    bytes: size,
    encoding: 'base64',
    secret,
    middleware: `key: { secret: process.env.${SECRET_ENV}, encoding: 'base64' }, algorithms: ['${alg}']`,
  }
}

/** `keygen --alg HS…`: the secret to `--out DIR` as secret.b64, or to standard output. */
async function runSecret(
  io: CliIo,
  alg: Algorithm,
  values: { out?: string | undefined; force: boolean; json: boolean },
): Promise<typeof EXIT.ok> {
  const { secret, middleware, ...facts } = await generateSecret(alg)
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
export const keygenCommand = defineCommand({
  name: 'keygen',
  summary: 'generate a key pair (PEM, JWK, JWKS, ClusterCockpit raw base64) or HMAC secret',
  help,
  options: { ...valueOptions('alg', 'bits', 'out'), ...switchOptions('force', 'json') },
  maxPositionals: 0,
  async run({ values }, io) {
    const alg = oneOf('alg', values.alg, keygenAlgorithms()) ?? 'EdDSA'
    const bits = Number(oneOf('bits', values.bits, RSA_BITS) ?? '2048')
    if (!Object.hasOwn(KEY_PAIRS, alg)) return runSecret(io, alg, values)
    const keys = material(alg, KEY_PAIRS[alg as PairAlgorithm](bits))

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
})
