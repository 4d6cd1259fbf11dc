/**
 * The verification half of `inspect`: turns the command-line key options into the core's
 * {@link KeySource} and runs the core's `createAuthenticator`, the same code path as the
 * middleware, on a request carrying the token as a bearer credential.
 *
 * @module
 */
import { createPublicKey } from 'node:crypto'
import {
  AuthConfigError,
  createAuthenticator,
  isAuthError,
  type Algorithm,
  type AuthenticateOptions,
  type AuthError,
  type IssuerOptions,
  type KeySource,
  type UserRecord,
  type UserStore,
} from '../index.js'
import { CommandError, UsageError, parseInput, readTextInput, type CliIo } from './io.js'
import { hasPrivatePart, pickJwk, pickJwks } from './jwk.js'
import { detectKeyFormat, isPrivateKeyText, parsePrivateKey, toSpkiPem } from './key-formats.js'
import { readSecret, type SecretOptions } from './secret.js'

/** The library's claims presets by name (the string members of the issuer's `claims` option). */
export type ClaimsPreset = Extract<IssuerOptions['claims'], string>
/** One finding of a claims schema, as the library's errors carry it. */
type ClaimIssue = NonNullable<AuthError['issues']>[number]

/** The key options of `inspect`; at most one may be given. */
export interface KeyFlags {
  key: string | undefined
  jwks: string | undefined
  ed25519: string | undefined
  secret: SecretOptions
}

/** The claim-policy options of `inspect`, mirroring the issuer options of the middleware. */
export interface PolicyFlags {
  issuer: string | null
  audience: string[]
  algorithms: Algorithm[] | undefined
  clockTolerance: number | undefined
  maxTokenAge: number | undefined
  claims: ClaimsPreset | undefined
  /** The issuer options that map claims onto `req.auth`, passed to the core as they are. */
  mapping: ClaimMappingFlags
}

/** `--roles-claim`, `--scopes-claim` and `--username-claim`: `rolesClaim`, `scopesClaim`, `username`. */
export interface ClaimMappingFlags {
  rolesClaim: string | undefined
  scopesClaim: string | undefined
  username: string | undefined
}

/**
 * What the core said about the token, and whether it checked `aud` (only with `--audience`).
 */
export type VerifyOutcome = (
  | {
      result: 'pass'
      subject: string
      issuer: string | undefined
      roles: string[]
      scopes: string[]
      /** The name a user check looks up; only with `--username-claim`. */
      username?: string
    }
  | {
      result: 'rejected'
      code: string
      status: number
      message: string
      /** The claims schema's findings: paths and expectations, never values. */
      issues?: readonly ClaimIssue[]
    }
) & { audienceChecked: boolean }

/** Builds the key source from the options, or `undefined` when none was given. */
export async function keySourceFromFlags(
  io: CliIo,
  flags: KeyFlags,
): Promise<KeySource | undefined> {
  const secretGiven = flags.secret.env !== undefined || flags.secret.file !== undefined
  const count = [flags.key, flags.jwks, flags.ed25519, secretGiven || undefined].filter(
    (f) => f !== undefined,
  ).length
  if (count > 1) {
    throw new UsageError('give at most one of --key, --jwks, --ed25519, --secret-env/--secret-file')
  }
  if (flags.jwks !== undefined) return { jwksUrl: flags.jwks }
  if (flags.ed25519 !== undefined) return { ed25519: flags.ed25519 }
  if (secretGiven) {
    return { secret: await readSecret(io, flags.secret), encoding: flags.secret.encoding }
  }
  if (flags.key !== undefined) {
    const text = await readTextInput(io, flags.key, 'key file (--key)')
    return parseInput(flags.key, 'key file', () => keySourceFromFile(text))
  }
  return undefined
}

/**
 * A key file as a key source: a JWKS, a JWK, a PEM (public, certificate, or a private key whose
 * public half is used) or ClusterCockpit's raw base64. Parsed with the key-format helpers, whose
 * errors never quote the file.
 */
function keySourceFromFile(text: string): KeySource {
  const format = detectKeyFormat(text)
  if (format === 'raw') return { ed25519: text.trim() }
  if (format === 'pem') {
    return isPrivateKeyText(text) ? { pem: toSpkiPem(parsePrivateKey(text)) } : { pem: text }
  }
  const jwks = pickJwks(text)
  if (jwks !== undefined) return { jwks }
  const jwk = pickJwk(text)
  if (jwk.kty === 'oct') {
    throw new CommandError('an HMAC JWK; pass the secret with --secret-file')
  }
  if (!hasPrivatePart(jwk)) return { jwk }
  // A private JWK: keep only its public members, and the kid/alg the token may name.
  const { kid, alg, use } = jwk as { kid?: string; alg?: string; use?: string }
  const pub = createPublicKey(parsePrivateKey(text)).export({ format: 'jwk' })
  return {
    jwk: { ...pub, ...(kid && { kid }), ...(alg && { alg }), ...(use && { use }) },
  }
}

/**
 * A user store that knows every user, so that the middleware's own user check runs and shows
 * which username the `username` option maps a token to, without changing the outcome: an unknown
 * user is created with the token's roles (`createUnknown`) and found again afterwards. A token
 * whose mapping gives no username is refused by the check itself, as with any store.
 */
function usernameProbe(): { store: UserStore; readonly username: string | undefined } {
  const created = new Map<string, UserRecord>()
  let username: string | undefined
  return {
    store: {
      findUser: (name) => {
        username = name
        return Promise.resolve(created.get(name))
      },
      createUser: (user) => {
        created.set(user.username, user)
        return Promise.resolve()
      },
    },
    get username() {
      return username
    },
  }
}

/**
 * The issuer's `audience` option. Without `--audience` it is `false`, said on purpose: `inspect`
 * reports the unchecked audience in its own output, where the middleware would warn at start-up.
 */
function audienceOption(audience: string[]): string | string[] | false {
  if (audience.length === 0) return false
  return audience.length === 1 ? audience[0]! : audience
}

/** The issuer options `inspect`'s command line describes. */
function issuerOptions(key: KeySource, policy: PolicyFlags): IssuerOptions {
  const { mapping } = policy
  return {
    issuer: policy.issuer,
    key,
    ...(policy.algorithms && { algorithms: policy.algorithms }),
    audience: audienceOption(policy.audience),
    ...(policy.clockTolerance !== undefined && { clockTolerance: policy.clockTolerance }),
    ...(policy.maxTokenAge !== undefined && { maxTokenAge: policy.maxTokenAge }),
    ...(policy.claims && { claims: policy.claims }),
    ...(mapping.rolesClaim !== undefined && { rolesClaim: mapping.rolesClaim }),
    ...(mapping.scopesClaim !== undefined && { scopesClaim: mapping.scopesClaim }),
    ...(mapping.username !== undefined && { username: mapping.username }),
  }
}

/** Runs the core verification at time `now` and reports the outcome. */
export async function verifyWithCore(
  token: string,
  key: KeySource,
  policy: PolicyFlags,
  now: Date,
): Promise<VerifyOutcome> {
  const audienceChecked = policy.audience.length > 0
  const probe = policy.mapping.username === undefined ? undefined : usernameProbe()
  const options: AuthenticateOptions = {
    issuers: [issuerOptions(key, policy)],
    clock: () => now,
    ...(probe && { users: { store: probe.store, createUnknown: true } }),
  }
  let authenticator: ReturnType<typeof createAuthenticator>
  try {
    authenticator = createAuthenticator(options)
  } catch (err) {
    if (err instanceof AuthConfigError) {
      throw new UsageError(`these verification options are refused: ${err.message}`)
    }
    throw err
  }
  try {
    const auth = await authenticator.authenticate({
      headers: { authorization: `Bearer ${token}` },
    })
    if (auth === undefined) throw new CommandError('the core returned no result for the token')
    return {
      result: 'pass',
      subject: auth.subject,
      issuer: auth.issuer,
      roles: auth.roles,
      scopes: auth.scopes,
      ...(probe?.username !== undefined && { username: probe.username }),
      audienceChecked,
    }
  } catch (err) {
    if (isAuthError(err)) {
      const { code, status, message, issues } = err
      return {
        result: 'rejected',
        code,
        status,
        message,
        ...(issues && { issues }),
        audienceChecked,
      }
    }
    throw err
  } finally {
    await authenticator.close()
  }
}
