/**
 * Resolves the verification key of one issuer for a token's protected header, and fixes the
 * issuer's locked algorithm list. Static keys are imported once here; remote key sets (a JWKS URL,
 * or the issuer's discovery) are delegated to `remote-jwks.ts`.
 *
 * @module
 */
import type { KeyObject } from 'node:crypto'
import { AuthConfigError, InvalidTokenError } from '../errors.js'
import type { KeySource } from '../options/types.js'
import type { Algorithm } from '../jws/algorithms.js'
import {
  ASYMMETRIC_ALGORITHMS,
  HMAC_ALGORITHMS,
  MIN_RSA_BITS,
  algorithmsForKey,
  defaultAlgorithmsForKey,
} from '../jws/algorithms.js'
import {
  importEd25519Raw,
  importJwks,
  importPem,
  importPublicJwk,
  importSecret,
} from './import-key.js'
import type { ImportedKey } from './import-key.js'
import { discoveryIssuerProblem } from './provider-urls.js'
import { createRemoteKeySet } from './remote-jwks.js'
import type { KeysReadiness, RemoteKeySet } from './remote-jwks.js'
import type { AuthServerMetadata } from './discovery.js'
import type { ConfiguredKey } from './secret-checks.js'
import type { KeyLookupHeader, VerificationKey } from './remote-jwks.js'

/** The keys and algorithms of one issuer. */
export interface KeyResolver {
  /** The locked algorithm list (never empty, never `none`). */
  readonly algorithms: ReadonlySet<string>
  /** Whether the keys are fixed by the configuration (everything but a remote JWKS). */
  readonly static: boolean
  /** Whether the keys can verify now, for a health check (static keys always can). */
  readiness(): KeysReadiness
  /** Stops background refreshes (no-op for static keys). */
  close(): void
  /** The issuer's metadata, for an issuer configured by discovery. */
  readonly metadata: (() => Promise<AuthServerMetadata>) | undefined
  /** The key for this header; throws `ERR_AUTH_KEY_NOT_FOUND` or `ERR_AUTH_KEYS_UNAVAILABLE`. */
  getKey(header: KeyLookupHeader & { alg: string }): Promise<VerificationKey> | VerificationKey
  /** Fetch remote keys now (no-op for static keys). */
  warmUp(): Promise<void>
  /** The keys imported at start-up, with their option paths (none for a remote JWKS). */
  readonly configured: readonly ConfiguredKey[]
}

/**
 * Builds the resolver of `issuers[i].key`, fitting `issuers[i].algorithms` to it. The options
 * schema (`options/key-schema.ts`) has checked their shape; this imports the keys.
 */
export function createKeyResolver(
  source: KeySource,
  configuredAlgorithms: readonly Algorithm[] | undefined,
  option: string,
  issuer: string | null,
): KeyResolver {
  const keyOption = `${option}.key`
  const algOption = `${option}.algorithms`
  if ('discovery' in source) {
    const problem = discoveryIssuerProblem(issuer)
    if (problem !== undefined) throw new AuthConfigError(`${option}.issuer`, problem)
  }
  if ('jwksUrl' in source || 'discovery' in source) {
    const remote = createRemoteKeySet(source, keyOption, issuer)
    return remoteResolver(remote, configuredAlgorithms, algOption)
  }
  const configured = importStatic(source, keyOption)
  const keys: ImportedKey[] = configured.map(({ imported }) => imported)
  const single = keys.length === 1 ? keys[0] : undefined
  return {
    algorithms: lockAlgorithms(keys, configuredAlgorithms, algOption),
    static: true,
    getKey(header) {
      const chosen = single ?? selectFromSet(keys, header)
      if (!keyAccepts(chosen, header)) {
        throw new InvalidTokenError('ERR_AUTH_KEY_NOT_FOUND', 'no matching key')
      }
      return chosen.key
    },
    warmUp: () => Promise.resolve(),
    readiness: () => ({ keysLoaded: true }),
    close: () => undefined,
    metadata: undefined,
    configured: configured.map(({ option: from, imported }) => ({
      option: from,
      key: imported.key,
    })),
  }
}

/** A remote JWKS holds public keys only, so its algorithms are asymmetric ones. */
function remoteResolver(
  remote: RemoteKeySet,
  configuredAlgorithms: readonly Algorithm[] | undefined,
  algOption: string,
): KeyResolver {
  const algorithms = configuredAlgorithms ?? ASYMMETRIC_ALGORITHMS
  const hmac = algorithms.find((alg) => HMAC_ALGORITHMS.includes(alg))
  if (hmac !== undefined) {
    throw new AuthConfigError(algOption, `${hmac} cannot be used with a JWKS (public keys only)`)
  }
  return {
    algorithms: new Set(algorithms),
    static: false,
    getKey(header) {
      const known = remote.knownKey(header)
      // Only a key that passed the strength check is handed out synchronously.
      if (known !== undefined && strongKeys.has(known)) return known
      return remote.getKey(header).then(checkFetchedKeyStrength)
    },
    warmUp: () => remote.reload(),
    readiness: () => remote.readiness(),
    close: () => remote.close(),
    metadata: remote.metadata,
    configured: [],
  }
}

/** Imports a static key source; each key keeps the option path it came from. */
function importStatic(
  source: Exclude<KeySource, { jwksUrl: string } | { discovery: true }>,
  keyOption: string,
): { option: string; imported: ImportedKey }[] {
  const one = (option: string, imported: ImportedKey) => [{ option, imported }]
  if ('ed25519' in source) {
    return one(`${keyOption}.ed25519`, importEd25519Raw(source.ed25519, `${keyOption}.ed25519`))
  }
  if ('pem' in source) return one(`${keyOption}.pem`, importPem(source.pem, `${keyOption}.pem`))
  if ('jwk' in source) {
    return one(`${keyOption}.jwk`, importPublicJwk(source.jwk, `${keyOption}.jwk`))
  }
  if ('jwks' in source) {
    const option = `${keyOption}.jwks`
    return importJwks(source.jwks, option).map((imported, index) => ({
      option: `${option}.keys[${index}]`,
      imported,
    }))
  }
  return one(`${keyOption}.secret`, importSecret(source.secret, source.encoding, keyOption))
}

/**
 * The locked list: the configured algorithms (each must fit every key), or the union of each key's
 * narrow default. HMAC and public keys never mix in one issuer.
 */
function lockAlgorithms(
  keys: ImportedKey[],
  configured: readonly Algorithm[] | undefined,
  option: string,
): Set<string> {
  const kinds = new Set(keys.map(({ key }) => key.type))
  if (kinds.size > 1) {
    throw new AuthConfigError(option, 'HMAC and public keys are mixed in one issuer')
  }
  if (configured !== undefined) {
    for (const alg of configured) {
      const fits = keys.some(({ key, alg: declared }) =>
        declared === undefined ? algorithmsForKey(key).includes(alg) : declared === alg,
      )
      if (!fits) throw new AuthConfigError(option, `${alg} does not fit the configured key`)
    }
    return new Set(configured)
  }
  const derived = new Set<string>()
  for (const { key, alg } of keys) for (const a of defaultAlgorithmsForKey(key, alg)) derived.add(a)
  return derived
}

/** Picks a key of a static JWKS: by `kid` when the token has one, else the only fitting key. */
function selectFromSet(
  keys: ImportedKey[],
  header: KeyLookupHeader & { alg: string },
): ImportedKey {
  if (header.kid !== undefined) {
    const byKid = keys.find((k) => k.kid === header.kid)
    if (byKid !== undefined) return byKid
    throw new InvalidTokenError('ERR_AUTH_KEY_NOT_FOUND', 'no matching key')
  }
  const fitting = keys.filter((k) => keyAccepts(k, header))
  if (fitting.length === 1 && fitting[0] !== undefined) return fitting[0]
  throw new InvalidTokenError('ERR_AUTH_KEY_NOT_FOUND', 'no matching key')
}

/** The key's own constraints: its declared `alg`, its type, and a matching `kid` if both have one. */
function keyAccepts(imported: ImportedKey, header: KeyLookupHeader & { alg: string }): boolean {
  if (imported.alg !== undefined && imported.alg !== header.alg) return false
  if (header.kid !== undefined && imported.kid !== undefined && header.kid !== imported.kid)
    return false
  return algorithmsForKey(imported.key).includes(header.alg as Algorithm)
}

/** Fetched keys that passed {@link checkFetchedKeyStrength}. */
const strongKeys = new WeakSet<VerificationKey>()

/** jose does not check RSA key size on keys it fetched; a weak key in a JWKS is not used. */
function checkFetchedKeyStrength(key: VerificationKey): VerificationKey {
  const modulusLength =
    'algorithm' in key
      ? (key.algorithm as { modulusLength?: number }).modulusLength
      : (key as KeyObject).asymmetricKeyDetails?.modulusLength
  if (modulusLength !== undefined && modulusLength < MIN_RSA_BITS) {
    throw new InvalidTokenError('ERR_AUTH_KEY_NOT_FOUND', 'no acceptable key')
  }
  strongKeys.add(key)
  return key
}
