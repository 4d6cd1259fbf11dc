/**
 * Resolves `issuers[i].introspection` (already checked by `introspection-schema.ts`): defaults,
 * seconds turned into ms, the client credential imported, once at start-up.
 *
 * @module
 */
import type { KeyResolver } from '../keys/key-resolver.js'
import { assertionCredentials, basicCredentials } from '../introspection/client-auth.js'
import { Introspector } from '../introspection/introspector.js'
import type { IntrospectionOptions } from './introspection-types.js'

/** The defaults, in seconds (`timeout` in ms) as the options are written. */
const DEFAULTS = { cacheTtl: 60, negativeTtl: 5, timeout: 3000 }

/** Answers held in process per issuer at most (a few hundred bytes each). */
const HELD_MAX = 10_000

/** The issuer's introspector, or undefined without the option; `option` is `issuers[i]`. */
export function resolveIntrospection(
  options: IntrospectionOptions | undefined,
  option: string,
  issuer: string | null,
  keys: KeyResolver,
): Introspector | undefined {
  if (options === undefined || issuer === null) return undefined
  const { clientId, clientSecret, clientKey, jwt } = options
  const credentials =
    clientSecret !== undefined
      ? basicCredentials(clientId, clientSecret)
      : assertionCredentials(clientId, clientKey!, `${option}.introspection.clientKey`)
  return new Introspector({
    issuer,
    clientId,
    credentials,
    endpoint: options.endpoint === undefined ? undefined : new URL(options.endpoint),
    keys,
    signedOnly: options.response === 'jwt',
    timeout: options.timeout ?? DEFAULTS.timeout,
    opaque: options.opaque ?? true,
    jwtReuse:
      jwt === undefined || jwt === false ? undefined : jwt === 'always' ? 0 : jwt.every * 1000,
    cacheTtl: (options.cacheTtl ?? DEFAULTS.cacheTtl) * 1000,
    negativeTtl: (options.negativeTtl ?? DEFAULTS.negativeTtl) * 1000,
    cache: options.cache,
    max: HELD_MAX,
  })
}
