/**
 * `jwt-gate keygen`: a new signing key pair in every format the middleware and ClusterCockpit
 * read.
 *
 * @module
 */
import { parseArgs } from 'node:util'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { oneOf, atMostPositionals, usageErrors } from './args.js'
import type { Command } from './command.js'
import { CommandError, EXIT, printJson, type CliIo } from './io.js'
import { toPublicJwk, toRawPrivate, toRawPublic, toSpkiPem, type PublicJwk } from './key-formats.js'

const ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const
const RSA_BITS = ['2048', '3072', '4096'] as const

const help = `Usage: jwt-gate keygen [--alg EdDSA|ES256|RS256] [--out DIR] [--force] [--json]

Generates a signing key pair and writes it in every format jwt-gate and ClusterCockpit read.

With --out DIR, writes (refusing to overwrite unless --force):
  private.pem           PKCS#8 private key (mode 0600)
  public.pem            SPKI public key       -> key: { pem }
  public.jwk.json       public JWK with kid   -> key: { jwk }
  jwks.json             JWKS of that one key  -> key: { jwks }, or serve it as a JWKS URL
  clustercockpit.env    EdDSA only (mode 0600): JWT_PUBLIC_KEY (raw 32 bytes) and
                        JWT_PRIVATE_KEY (Go's 64-byte seed||public), standard base64
Without --out, prints all of it to standard output.

Options:
  --alg ALG      EdDSA (Ed25519, the default), ES256 (P-256) or RS256
  --bits N       RSA modulus length: 2048 (default), 3072 or 4096
  --out DIR      directory to write the files to (created when missing)
  --force        overwrite existing files
  --json         machine-readable output
  -h, --help     this help

The kid is the key's RFC 7638 thumbprint.

Examples:
  jwt-gate keygen --out ./keys
  jwt-gate keygen --alg ES256 --out ./keys --json
`

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

function generate(alg: (typeof ALGORITHMS)[number], bits: number): KeyObject {
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

/** The files `--out` writes: name, content, and whether it holds the private key. */
function files(keys: KeyMaterial): [name: string, content: string, secret: boolean][] {
  const list: [string, string, boolean][] = [
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

async function writeAll(dir: string, keys: KeyMaterial, force: boolean): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw new CommandError(
      `cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    )
  }
  const written: string[] = []
  for (const [name, content, secret] of files(keys)) {
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

/** `jwt-gate keygen`. */
export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'generate a key pair (PEM, JWK, JWKS, ClusterCockpit raw base64)',
  help,
  async run(argv, io) {
    const { values, positionals } = usageErrors(() =>
      parseArgs({
        args: argv,
        strict: true,
        options: {
          alg: { type: 'string' },
          bits: { type: 'string' },
          out: { type: 'string' },
          force: { type: 'boolean', default: false },
          json: { type: 'boolean', default: false },
        },
        allowPositionals: true,
      }),
    )
    atMostPositionals(positionals, 0)
    const alg = oneOf('alg', values.alg, ALGORITHMS) ?? 'EdDSA'
    const bits = Number(oneOf('bits', values.bits, RSA_BITS) ?? '2048')
    const keys = material(alg, generate(alg, bits))

    if (values.out === undefined) {
      if (values.json) printJson(io, keys)
      else printMaterial(io, keys)
      return EXIT.ok
    }
    const written = await writeAll(resolve(io.cwd, values.out), keys, values.force)
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
