/**
 * How the gate authenticates to the introspection endpoint (RFC 7662 §2.1 requires it):
 * `client_secret_basic` (RFC 6749 §2.3.1) or `private_key_jwt` (RFC 7523, OpenID Connect Core
 * §9), a signed assertion with a fresh `jti` and a short `exp` for every call. The private key is
 * imported once at start-up, where a wrong one is refused naming the option.
 *
 * @module
 */
import { constants, createPrivateKey, randomUUID, sign as signBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { AuthConfigError } from '../errors.js'
import type { IntrospectionClientKey } from '../options/introspection-types.js'

/** Seconds an assertion is valid: long enough for one call, short enough to be useless later. */
const ASSERTION_LIFETIME = 60

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

type SigningAlg = IntrospectionClientKey['alg'] & string

/** The client's credentials, ready for every call. */
export type ClientCredentials =
  | { readonly method: 'client_secret_basic'; readonly authorization: string }
  | {
      readonly method: 'private_key_jwt'
      readonly clientId: string
      readonly key: KeyObject
      readonly alg: SigningAlg
      readonly kid: string | undefined
    }

/** What each algorithm needs of its key: the key type, and the curve of an EC key. */
const KEY_FIT: Record<SigningAlg, { type: string; curve?: string }> = {
  RS256: { type: 'rsa' },
  PS256: { type: 'rsa' },
  ES256: { type: 'ec', curve: 'prime256v1' },
  ES384: { type: 'ec', curve: 'secp384r1' },
  EdDSA: { type: 'ed25519' },
}

/** RFC 6749 Appendix B: the client id and secret are form-urlencoded before Basic encoding. */
function formEncode(text: string): string {
  return encodeURIComponent(text)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** The `client_secret_basic` credentials. */
export function basicCredentials(clientId: string, secret: string): ClientCredentials {
  const pair = `${formEncode(clientId)}:${formEncode(secret)}`
  return {
    method: 'client_secret_basic',
    authorization: `Basic ${Buffer.from(pair).toString('base64')}`,
  }
}

/** The `private_key_jwt` credentials; throws `AuthConfigError` naming `option` for a bad key. */
export function assertionCredentials(
  clientId: string,
  source: IntrospectionClientKey,
  option: string,
): ClientCredentials {
  const alg = source.alg ?? ('jwk' in source ? source.jwk.alg : undefined)
  if (alg === undefined || !Object.hasOwn(KEY_FIT, alg)) {
    throw new AuthConfigError(`${option}.alg`, `must be one of ${Object.keys(KEY_FIT).join(', ')}`)
  }
  let key: KeyObject
  try {
    key =
      'jwk' in source
        ? createPrivateKey({
            key: source.jwk as Record<string, unknown> & { kty: string },
            format: 'jwk',
          })
        : createPrivateKey(source.pem)
  } catch {
    throw new AuthConfigError(option, 'is not a private key (a private JWK or a PEM)')
  }
  const fit = KEY_FIT[alg as SigningAlg]
  const details = key.asymmetricKeyDetails
  if (key.asymmetricKeyType !== fit.type || (fit.curve && details?.namedCurve !== fit.curve)) {
    throw new AuthConfigError(option, `does not fit ${alg}`)
  }
  if (fit.type === 'rsa' && (details?.modulusLength ?? 0) < 2048) {
    throw new AuthConfigError(option, 'RSA keys must have at least 2048 bits')
  }
  const kid = 'jwk' in source ? source.jwk.kid : source.kid
  return { method: 'private_key_jwt', clientId, key, alg: alg as SigningAlg, kid }
}

/** The call's authentication: an `Authorization` header, or form fields with an assertion. */
export function authenticateCall(
  credentials: ClientCredentials,
  audience: string,
): { headers: Record<string, string>; form: Record<string, string> } {
  if (credentials.method === 'client_secret_basic') {
    return { headers: { authorization: credentials.authorization }, form: {} }
  }
  return {
    headers: {},
    form: {
      client_id: credentials.clientId,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: clientAssertion(credentials, audience),
    },
  }
}

/** A fresh signed assertion; wall-clock time, since it is the provider's clock that checks it. */
function clientAssertion(
  credentials: Extract<ClientCredentials, { method: 'private_key_jwt' }>,
  audience: string,
): string {
  const { clientId, key, alg, kid } = credentials
  const iat = Math.floor(Date.now() / 1000)
  const header = { alg, typ: 'JWT', ...(kid === undefined ? {} : { kid }) }
  const payload = {
    iss: clientId,
    sub: clientId,
    aud: audience,
    jti: randomUUID(),
    iat,
    exp: iat + ASSERTION_LIFETIME,
  }
  const input = `${segment(header)}.${segment(payload)}`
  return `${input}.${signInput(input, key, alg).toString('base64url')}`
}

function segment(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function signInput(input: string, key: KeyObject, alg: SigningAlg): Buffer {
  const data = Buffer.from(input)
  switch (alg) {
    case 'EdDSA':
      return signBytes(null, data, key)
    case 'RS256':
      return signBytes('sha256', data, key)
    case 'PS256':
      return signBytes('sha256', data, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      })
    case 'ES256':
      return signBytes('sha256', data, { key, dsaEncoding: 'ieee-p1363' })
    case 'ES384':
      return signBytes('sha384', data, { key, dsaEncoding: 'ieee-p1363' })
  }
}
