/**
 * The keys of a ClusterCockpit `jwts` section and the variables that override them, checked as
 * cc-backend reads them: raw Ed25519 keys in standard base64 and the cross-login HMAC key. Whether
 * a key is acceptable is the library's answer; the raw formats are the CLI's (raw-keys.ts).
 *
 * @module
 */
import { toRawPublic } from './key-formats.js'
import { problemOf, probeOptions, verdict } from './library.js'
import type { ProblemList } from './problems.js'
import {
  ED25519_KEY_BYTES,
  GO_PRIVATE_KEY_BYTES,
  base64Problem,
  decodeStdBase64,
  ed25519PrivateFromRaw,
  rawPublicKeyProblem,
} from './raw-keys.js'
import { hmacKeyBytes } from './secret.js'

/** The kinds of value a `jwts` setting holds. */
export type Kind =
  'duration' | 'cookie-name' | 'string' | 'boolean' | 'public-key' | 'private-key' | 'hmac'

/** One setting: its current name first, then older spellings; the env var that overrides it. */
export interface Setting {
  names: string[]
  kind: Kind
  env?: string
}

/** The key settings, each overridden by its environment variable as in cc-backend. */
export const KEY_SETTINGS: Setting[] = [
  { names: ['public-key'], kind: 'public-key', env: 'JWT_PUBLIC_KEY' },
  { names: ['private-key'], kind: 'private-key', env: 'JWT_PRIVATE_KEY' },
  { names: ['cross-login-public-key'], kind: 'public-key', env: 'CROSS_LOGIN_JWT_PUBLIC_KEY' },
  { names: ['cross-login-hs512-key'], kind: 'hmac', env: 'CROSS_LOGIN_JWT_HS512_KEY' },
]

/** The value ClusterCockpit will use: the env var when set, else the config setting. */
function effectiveKey(
  setting: Setting,
  path: string,
  jwts: Record<string, unknown>,
  env: Record<string, string | undefined>,
): [source: string, value: string] | undefined {
  const fromEnv = setting.env === undefined ? undefined : env[setting.env]
  if (fromEnv !== undefined && fromEnv !== '') return [setting.env ?? '', fromEnv]
  const name = setting.names[0] ?? ''
  const fromFile = jwts[name]
  return typeof fromFile === 'string' && fromFile !== '' ? [`${path}.${name}`, fromFile] : undefined
}

/**
 * Checks the keys ClusterCockpit will use and whether the cross-login cookie can work.
 *
 * @param crossLoginConfigured - Whether cookie-name or trusted-issuer is set.
 */
export async function checkKeys(
  path: string,
  jwts: Record<string, unknown>,
  env: Record<string, string | undefined>,
  crossLoginConfigured: boolean,
  problems: ProblemList,
): Promise<void> {
  const byEnv = (name: string) => KEY_SETTINGS.find((s) => s.env === name)!
  const pub = effectiveKey(byEnv('JWT_PUBLIC_KEY'), path, jwts, env)
  const priv = effectiveKey(byEnv('JWT_PRIVATE_KEY'), path, jwts, env)
  const cross = effectiveKey(byEnv('CROSS_LOGIN_JWT_PUBLIC_KEY'), path, jwts, env)
  const hmac = effectiveKey(byEnv('CROSS_LOGIN_JWT_HS512_KEY'), path, jwts, env)

  const pubOk = pub !== undefined && checkPublicKey(pub, problems)
  if (cross !== undefined) checkPublicKey(cross, problems)
  if (priv !== undefined) checkPrivateKey(priv, pubOk ? pub?.[1] : undefined, pub?.[0], problems)
  if (hmac !== undefined) await checkHmacKey(hmac, problems)

  if (pub === undefined || priv === undefined) {
    problems.warning(
      pub === undefined ? 'JWT_PUBLIC_KEY' : 'JWT_PRIVATE_KEY',
      "not set (nor in the jwts section): ClusterCockpit's token authentication will not work",
    )
  }
  if (crossLoginConfigured && cross === undefined) {
    problems.warning(
      'CROSS_LOGIN_JWT_PUBLIC_KEY',
      'not set: the cross-login cookie stays disabled (it needs JWT_PUBLIC_KEY, JWT_PRIVATE_KEY, ' +
        'CROSS_LOGIN_JWT_PUBLIC_KEY, cookie-name and trusted-issuer)',
    )
  }
  if (!crossLoginConfigured && cross !== undefined) {
    problems.warning(
      `${path}.trusted-issuer`,
      'CROSS_LOGIN_JWT_PUBLIC_KEY is set but cookie-name and trusted-issuer are not',
    )
  }
}

/** Reports a bad raw Ed25519 public key; returns whether it is good. */
export function checkPublicKey([source, value]: [string, string], problems: ProblemList): boolean {
  const problem = rawPublicKeyProblem(value)
  if (problem === undefined) return true
  if (problem.kind === 'base64') {
    problems.error(source, `${problem.detail} (expected the raw 32-byte Ed25519 key)`)
  } else if (problem.kind === 'length') {
    const hint = problem.bytes === GO_PRIVATE_KEY_BYTES ? ': 64 bytes is a private key' : ''
    problems.error(
      source,
      `decodes to ${problem.bytes} bytes, an Ed25519 public key has ${ED25519_KEY_BYTES}${hint}`,
    )
  } else {
    problems.error(source, problem.detail)
  }
  return false
}

function checkPrivateKey(
  [source, value]: [string, string],
  publicValue: string | undefined,
  publicSource: string | undefined,
  problems: ProblemList,
): void {
  const bytes = decodeStdBase64(value)
  if (bytes === undefined) {
    problems.error(source, `${base64Problem(value)} (expected Go's 64-byte Ed25519 private key)`)
    return
  }
  if (bytes.length !== GO_PRIVATE_KEY_BYTES) {
    problems.error(source, `decodes to ${bytes.length} bytes, Go's Ed25519 private key has 64`)
    return
  }
  let derived: string
  try {
    derived = toRawPublic(ed25519PrivateFromRaw(value))
  } catch {
    problems.error(source, 'its public half does not match its seed')
    return
  }
  if (publicValue !== undefined && derived !== publicValue) {
    problems.error(source, `is not the private key of ${publicSource ?? 'the public key'}`)
  }
}

/** The cross-login HMAC key: decoded as ClusterCockpit does, then judged by the library. */
async function checkHmacKey([source, value]: [string, string], problems: ProblemList) {
  const bytes = decodeStdBase64(value)
  if (bytes === undefined) {
    problems.error(source, `${base64Problem(value)} (ClusterCockpit decodes it as base64)`)
    return
  }
  // A weak key's warning is not this check's finding: it is dropped with the verdict.
  const { refusal } = await verdict(probeOptions({ secret: bytes }))
  const wanted = hmacKeyBytes('HS512')
  if (refusal !== undefined) {
    problems.error(source, `decoded, it ${problemOf(refusal)}`)
  } else if (bytes.length < wanted) {
    problems.warning(
      source,
      `${bytes.length} bytes: enough for HS256, but HS512 wants ${wanted} (RFC 7518 §3.2)`,
    )
  }
}
