import { execFileSync } from 'node:child_process'
import { createSecretKey, generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { authenticate, AuthConfigError, createAuthenticator } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'
import {
  ed25519,
  es256,
  hmacSecret,
  hmacSecretBase64,
  rawEd25519Base64,
  rsa,
} from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'

const ed = { ed25519: rawEd25519Base64(ed25519) }

function refused(options: unknown): AuthConfigError {
  try {
    authenticate(options as AuthenticateOptions)
  } catch (error) {
    expect(error).toBeInstanceOf(AuthConfigError)
    expect(error).toBeInstanceOf(TypeError)
    return error as AuthConfigError
  }
  throw new Error('configuration was accepted')
}

const issuerWith = (fields: Record<string, unknown>) => ({
  issuers: [{ issuer: ISSUER, ...fields }],
})

describe('configuration is refused at start-up, naming the option', () => {
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const cases: [string, unknown, string, RegExp][] = [
    ['no options', undefined, '(options)', /options object/],
    ['no issuers', { issuers: [] }, 'issuers', /./],
    [
      'an unknown option',
      { issuers: [{ issuer: ISSUER, key: ed }], algorithm: ['HS256'] },
      'algorithm',
      /unknown option/,
    ],
    ['an issuer without key', issuerWith({}), 'issuers[0].key', /required/],
    [
      'two key sources',
      issuerWith({ key: { ...ed, pem: es256.publicPem } }),
      'issuers[0].key',
      /exactly one/,
    ],
    [
      'an empty HMAC secret',
      issuerWith({ key: { secret: '', encoding: 'utf8' } }),
      'issuers[0].key.secret',
      /is empty/,
    ],
    [
      'a short HMAC secret',
      issuerWith({ key: { secret: 'x'.repeat(31), encoding: 'utf8' } }),
      'issuers[0].key.secret',
      /31 bytes/,
    ],
    [
      'a secret encoding that does not exist',
      issuerWith({ key: { secret: hmacSecret, encoding: 'hex' } }),
      'issuers[0].key.encoding',
      /utf8 or base64/,
    ],
    [
      'a bad base64 secret',
      issuerWith({ key: { secret: 'not base64!', encoding: 'base64' } }),
      'issuers[0].key.secret',
      /base64/,
    ],
    [
      'a public key as HMAC secret',
      issuerWith({ key: { secret: `${rsa.publicPem}${'x'.repeat(10)}`, encoding: 'utf8' } }),
      'issuers[0].key.secret',
      /public key/,
    ],
    [
      'a JWK as HMAC secret',
      issuerWith({ key: { secret: JSON.stringify(rsa.publicJwk), encoding: 'utf8' } }),
      'issuers[0].key.secret',
      /public key/,
    ],
    [
      'an RSA key under 2048 bits',
      issuerWith({ key: { pem: rsa1024.publicKey.export({ type: 'spki', format: 'pem' }) } }),
      'issuers[0].key.pem',
      /1024 bits/,
    ],
    [
      'a private PEM',
      issuerWith({ key: { pem: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) } }),
      'issuers[0].key.pem',
      /private key/,
    ],
    ['garbage PEM', issuerWith({ key: { pem: 'hello' } }), 'issuers[0].key.pem', /not a PEM/],
    [
      'a private JWK',
      issuerWith({ key: { jwk: rsa.privateKey.export({ format: 'jwk' }) } }),
      'issuers[0].key.jwk',
      /private JWK/,
    ],
    [
      'a JWK carrying one private RSA member only',
      issuerWith({ key: { jwk: { ...rsa.publicJwk, qi: 'AQAB' } } }),
      'issuers[0].key.jwk',
      /private JWK/,
    ],
    [
      'an oct JWK',
      issuerWith({ key: { jwk: { kty: 'oct', k: 'AAAA' } } }),
      'issuers[0].key.jwk',
      /symmetric/,
    ],
    [
      'a raw Ed25519 key of the wrong length',
      issuerWith({ key: { ed25519: Buffer.alloc(31).toString('base64') } }),
      'issuers[0].key.ed25519',
      /32 bytes, got 31/,
    ],
    [
      'a raw Ed25519 private key',
      issuerWith({ key: { ed25519: Buffer.alloc(64).toString('base64') } }),
      'issuers[0].key.ed25519',
      /private key/,
    ],
    [
      'raw Ed25519 in base64url',
      issuerWith({ key: { ed25519: ed25519.publicJwk.x } }),
      'issuers[0].key.ed25519',
      /standard base64/,
    ],
    [
      'an algorithm that does not fit the key',
      issuerWith({ key: ed, algorithms: ['RS256'] }),
      'issuers[0].algorithms',
      /does not fit/,
    ],
    [
      'HS256 for a public key',
      issuerWith({ key: { pem: rsa.publicPem }, algorithms: ['HS256'] }),
      'issuers[0].algorithms',
      /does not fit/,
    ],
    [
      'alg none',
      issuerWith({ key: ed, algorithms: ['none'] }),
      'issuers[0].algorithms',
      /not a supported/,
    ],
    [
      'an empty algorithm list',
      issuerWith({ key: ed, algorithms: [] }),
      'issuers[0].algorithms',
      /non-empty/,
    ],
    [
      'HMAC algorithms for a JWKS URL',
      issuerWith({ key: { jwksUrl: 'https://idp.example/jwks' }, algorithms: ['HS256'] }),
      'issuers[0].algorithms',
      /JWKS/,
    ],
    [
      'a plain-http JWKS URL',
      issuerWith({ key: { jwksUrl: 'http://idp.example/jwks' } }),
      'issuers[0].key.jwksUrl',
      /https/,
    ],
    [
      'a JWKS URL with credentials (fetch refuses them)',
      issuerWith({ key: { jwksUrl: 'https://user:pw@idp.example/jwks' } }),
      'issuers[0].key.jwksUrl',
      /credentials/,
    ],
    [
      'a JWKS cooldown that turns the unknown-kid throttle off',
      issuerWith({ key: { jwksUrl: 'https://idp.example/jwks', cooldown: 0 } }),
      'issuers[0].key.cooldown',
      /at least 1000 ms/,
    ],
    [
      'a JWKS cacheMaxAge that refetches for every token',
      issuerWith({ key: { jwksUrl: 'https://idp.example/jwks', cacheMaxAge: 0 } }),
      'issuers[0].key.cacheMaxAge',
      /at least 1000 ms/,
    ],
    [
      'a JWKS timeout of 0',
      issuerWith({ key: { jwksUrl: 'https://idp.example/jwks', timeout: 0 } }),
      'issuers[0].key.timeout',
      /at least 1 ms/,
    ],
    [
      'a JWKS with a duplicate kid',
      issuerWith({
        key: {
          jwks: {
            keys: [
              { ...rsa.publicJwk, kid: 'a' },
              { ...es256.publicJwk, kid: 'a' },
            ],
          },
        },
      }),
      'issuers[0].key.jwks.keys[1].kid',
      /two keys/,
    ],
    [
      'a JWKS mixing oct and public keys',
      issuerWith({ key: { jwks: { keys: [rsa.publicJwk, { kty: 'oct', k: 'AAAA' }] } } }),
      'issuers[0].key.jwks.keys[1]',
      /symmetric/,
    ],
    ['an empty issuer', { issuers: [{ issuer: '', key: ed }] }, 'issuers[0].issuer', /./],
    [
      'the same issuer twice',
      {
        issuers: [
          { issuer: ISSUER, key: ed },
          { issuer: ISSUER, key: ed },
        ],
      },
      'issuers[1].issuer',
      /twice/,
    ],
    [
      'two issuers for tokens without iss',
      {
        issuers: [
          { issuer: null, key: ed },
          { issuer: null, key: { pem: rsa.publicPem } },
        ],
      },
      'issuers[1].issuer',
      /only one issuer may be null/,
    ],
    [
      'a source listed twice',
      { issuers: [{ issuer: ISSUER, key: ed }], sources: ['header', 'header'] },
      'sources',
      /twice/,
    ],
    [
      'a cookie the sources leave out',
      { issuers: [{ issuer: ISSUER, key: ed }], sources: ['header'], cookie: { name: 'at' } },
      'sources',
      /must include "cookie"/,
    ],
    [
      'a bad cookie name',
      { issuers: [{ issuer: ISSUER, key: ed }], cookie: { name: 'a b' } },
      'cookie.name',
      /cookie name/,
    ],
    [
      'a cookie source without cookie',
      { issuers: [{ issuer: ISSUER, key: ed }], sources: ['cookie'] },
      'cookie',
      /required/,
    ],
    [
      'an unknown claims preset',
      issuerWith({ key: ed, claims: 'keycloak' }),
      'issuers[0].claims',
      /preset|zod/,
    ],
    [
      'a store without findUser',
      { issuers: [{ issuer: ISSUER, key: ed }], users: { store: {} } },
      'users.store',
      /findUser/,
    ],
    [
      'createUnknown without createUser',
      {
        issuers: [{ issuer: ISSUER, key: ed }],
        users: { store: { findUser: async () => undefined }, createUnknown: true },
      },
      'users.createUnknown',
      /createUser/,
    ],
    [
      'updateExisting without updateUser',
      {
        issuers: [{ issuer: ISSUER, key: ed }],
        users: { store: { findUser: async () => undefined }, updateExisting: true },
      },
      'users.updateExisting',
      /updateUser/,
    ],
    [
      'yieldAfterVerification that is not a boolean',
      { issuers: [{ issuer: ISSUER, key: ed }], yieldAfterVerification: 'no' },
      'yieldAfterVerification',
      /boolean/,
    ],
  ]

  it.each(cases)('%s', (_name, options, option, problem) => {
    const error = refused(options)
    expect(error.option).toBe(option)
    expect(error.message).toMatch(problem)
    expect(error.message).toContain(`"${option}"`)
  })

  it('never echoes the secret in the message', () => {
    const error = refused(issuerWith({ key: { secret: 'short-secret-value', encoding: 'utf8' } }))
    expect(error.message).not.toContain('short-secret-value')
  })
})

describe('accepted configurations', () => {
  it('derives the narrowest algorithm lists from the keys', async () => {
    const options: AuthenticateOptions = {
      issuers: [
        { issuer: 'a', key: ed },
        { issuer: 'b', key: { pem: rsa.publicPem } },
        { issuer: 'c', key: { jwk: es256.publicJwk } },
        { issuer: 'd', key: { secret: Buffer.alloc(32, 7) } },
        {
          issuer: 'e',
          key: { secret: Buffer.alloc(48, 1).toString('base64'), encoding: 'base64' },
        },
      ],
    }
    expect(() => createAuthenticator(options)).not.toThrow()
  })

  it('warns once when expiry is made optional', () => {
    const warnings: string[] = []
    const listener = (w: Error & { code?: string }) => warnings.push(w.code ?? '')
    process.on('warning', listener)
    createAuthenticator(issuerWith({ key: ed, requireExpiry: false }) as AuthenticateOptions)
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        process.off('warning', listener)
        expect(warnings).toContain('JWT_GATE_EXPIRY_OPTIONAL')
        resolve()
      }),
    )
  })

  it('accepts an X.509 certificate PEM and verifies with its key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-cert-'))
    const keyFile = join(dir, 'key.pem')
    writeFileSync(keyFile, es256.privateKey.export({ type: 'pkcs8', format: 'pem' }))
    const cert = execFileSync('openssl', [
      'req',
      '-x509',
      '-key',
      keyFile,
      '-subj',
      '/CN=jwt-gate-test',
      '-days',
      '1',
    ]).toString()
    rmSync(dir, { recursive: true })
    const gate = createAuthenticator({ issuers: [{ issuer: ISSUER, key: { pem: cert } }], clock })
    const token = await sign(es256.privateKey, { alg: 'ES256' })
    const auth = await gate.authenticate({ headers: { authorization: `Bearer ${token}` } })
    expect(auth?.subject).toBe('alice')
  })
})

describe('a public key is never an HMAC secret (issue 21, point 5)', () => {
  const rawEd = rawEd25519Base64(ed25519)
  const spkiDer = (pair: typeof rsa) => pair.publicKey.export({ type: 'spki', format: 'der' })

  /**
   * Configures a gate and presents an HS256 token MACed with the public bytes: the start-up error,
   * or what became of the forged token if the configuration was accepted.
   */
  async function forgeryOutcome(options: unknown, publicBytes: Buffer): Promise<unknown> {
    const forged = await sign(createSecretKey(publicBytes), { alg: 'HS256' })
    let gate: ReturnType<typeof createAuthenticator>
    try {
      gate = createAuthenticator(options as AuthenticateOptions)
    } catch (error) {
      return error
    }
    return gate.authenticate({ headers: { authorization: `Bearer ${forged}` } }).then(
      (auth) => `forged token accepted for ${auth?.subject}`,
      (error: unknown) => error,
    )
  }

  it('refuses the raw Ed25519 public key of another issuer as a base64 secret', async () => {
    const options = {
      issuers: [
        { issuer: null, key: { ed25519: rawEd } },
        { issuer: ISSUER, key: { secret: rawEd, encoding: 'base64' } },
      ],
      clock,
    }
    const outcome = await forgeryOutcome(options, Buffer.from(rawEd, 'base64'))
    expect(outcome).toBeInstanceOf(AuthConfigError)
    const error = outcome as AuthConfigError
    expect(error.option).toBe('issuers[1].key.secret')
    expect(error.message).toMatch(/is the public key of "issuers\[0\]\.key\.ed25519"/)
    expect(error.message).not.toContain(rawEd)
  })

  it('refuses the raw Ed25519 public key of another issuer as UTF-8 text or raw bytes', () => {
    for (const secret of [
      { secret: rawEd, encoding: 'utf8' },
      { secret: new Uint8Array(Buffer.from(rawEd, 'base64')) },
    ]) {
      const error = refused({
        issuers: [
          { issuer: ISSUER, key: secret },
          { issuer: 'cc', key: { jwks: { keys: [es256.publicJwk, ed25519.publicJwk] } } },
        ],
      })
      expect(error.option).toBe('issuers[0].key.secret')
      expect(error.message).toMatch(/public key of "issuers\[1\]\.key\.jwks\.keys\[1\]"/)
    }
  })

  it('refuses a base64 SPKI DER public key as a secret, with no other issuer needed', async () => {
    const outcome = await forgeryOutcome(
      {
        ...issuerWith({ key: { secret: spkiDer(rsa).toString('base64'), encoding: 'base64' } }),
        clock,
      },
      spkiDer(rsa),
    )
    expect(outcome).toBeInstanceOf(AuthConfigError)
    expect((outcome as AuthConfigError).option).toBe('issuers[0].key.secret')
    expect((outcome as AuthConfigError).message).toMatch(/public key/)

    for (const pair of [rsa, es256, ed25519]) {
      const der = spkiDer(pair)
      for (const key of [
        { secret: der.toString('base64'), encoding: 'base64' },
        { secret: der.toString('base64'), encoding: 'utf8' },
        { secret: der.toString('base64url'), encoding: 'utf8' },
        { secret: new Uint8Array(der) },
      ]) {
        const error = refused(issuerWith({ key }))
        expect(error.option).toBe('issuers[0].key.secret')
        expect(error.message).toMatch(/public key/)
      }
    }
  })

  it('starts with an RSA-PSS public key (Node exports no JWK for it) and still refuses its SPKI as a secret', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey
    const pem = pss.export({ type: 'spki', format: 'pem' }).toString()
    const der = pss.export({ type: 'spki', format: 'der' })
    expect(() => createAuthenticator({ issuers: [{ issuer: ISSUER, key: { pem } }] })).not.toThrow()
    const error = refused({
      issuers: [
        { issuer: ISSUER, key: { pem } },
        { issuer: 'other', key: { secret: der.toString('base64'), encoding: 'base64' } },
      ],
    })
    expect(error.option).toBe('issuers[1].key.secret')
    expect(error.message).toMatch(/public key/)
  })

  it('refuses a base64-wrapped PEM public key as a secret (a Kubernetes secret, say)', () => {
    const error = refused(
      issuerWith({
        key: { secret: Buffer.from(rsa.publicPem).toString('base64'), encoding: 'utf8' },
      }),
    )
    expect(error.option).toBe('issuers[0].key.secret')
    expect(error.message).toMatch(/public key/)
  })

  it('still accepts a random secret beside public keys', async () => {
    const gate = createAuthenticator({
      issuers: [
        { issuer: 'cc', key: { ed25519: rawEd } },
        { issuer: ISSUER, key: { secret: hmacSecret, encoding: 'utf8' } },
      ],
      clock,
    })
    const auth = await gate.authenticate({
      headers: { authorization: `Bearer ${await sign(hmacSecret)}` },
    })
    expect(auth?.subject).toBe('alice')
  })
})

describe('two issuers never share an HMAC secret (issue 21, point 5)', () => {
  const otherIssuer = 'https://other.example'
  const twoSecrets = (first: Record<string, unknown>, second: Record<string, unknown>) => ({
    issuers: [
      { issuer: ISSUER, key: first },
      { issuer: otherIssuer, key: second },
    ],
    clock,
  })

  it('refuses the same secret for two issuers, naming both options and never the bytes', () => {
    const error = refused(
      twoSecrets(
        { secret: hmacSecret, encoding: 'utf8' },
        { secret: hmacSecret, encoding: 'utf8' },
      ),
    )
    expect(error.option).toBe('issuers[1].key.secret')
    expect(error.message).toMatch(/same secret as "issuers\[0\]\.key\.secret"/)
    expect(error.message).not.toContain(hmacSecret)
  })

  it("refuses a secret equal to another issuer's in any reading (text, base64, base64url, bytes)", () => {
    const bytes = Buffer.from(hmacSecretBase64, 'base64')
    const pairs: [Record<string, unknown>, Record<string, unknown>][] = [
      [
        { secret: hmacSecretBase64, encoding: 'base64' },
        { secret: hmacSecretBase64, encoding: 'utf8' },
      ],
      [{ secret: hmacSecretBase64, encoding: 'base64' }, { secret: new Uint8Array(bytes) }],
      [
        { secret: bytes.toString('base64url'), encoding: 'utf8' },
        { secret: hmacSecretBase64, encoding: 'base64' },
      ],
      [
        { secret: new Uint8Array(bytes) },
        { secret: bytes.toString('base64url'), encoding: 'utf8' },
      ],
    ]
    for (const [first, second] of pairs) {
      const error = refused(twoSecrets(first, second))
      expect(error.option).toBe('issuers[1].key.secret')
      expect(error.message).toMatch(/issuers\[0\]\.key\.secret/)
      expect(error.message).not.toContain(hmacSecretBase64)
      expect(error.message).not.toContain(bytes.toString('base64url'))
    }
  })

  it('accepts distinct secrets, each issuer verifying its own tokens only', async () => {
    const gate = createAuthenticator({
      issuers: [
        { issuer: ISSUER, key: { secret: hmacSecret, encoding: 'utf8' } },
        { issuer: otherIssuer, key: { secret: hmacSecretBase64, encoding: 'base64' } },
      ],
      clock,
    })
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })
    const otherKey = createSecretKey(Buffer.from(hmacSecretBase64, 'base64'))
    const otherClaims = { claims: { iss: otherIssuer }, alg: 'HS256' }
    expect((await gate.authenticate(bearer(await sign(hmacSecret))))?.subject).toBe('alice')
    expect((await gate.authenticate(bearer(await sign(otherKey, otherClaims))))?.issuer).toBe(
      otherIssuer,
    )
    const crossed = await sign(hmacSecret, { claims: { iss: otherIssuer } })
    await expect(gate.authenticate(bearer(crossed))).rejects.toMatchObject({
      code: 'ERR_AUTH_SIGNATURE_INVALID',
    })
  })
})

describe('an unset key variable is a configuration error, not a TypeError (issue 21, point 18)', () => {
  const forms: [string, Record<string, unknown>][] = [
    ['ed25519', {}],
    ['pem', {}],
    ['jwk', {}],
    ['jwks', {}],
    ['jwksUrl', {}],
    ['secret', { encoding: 'base64' }],
    ['secret', { encoding: 'utf8' }],
  ]
  it.each(forms)('%s: undefined (%o)', (field, extra) => {
    const error = refused(issuerWith({ key: { [field]: undefined, ...extra } }))
    expect(error.option).toBe(`issuers[0].key.${field}`)
    expect(error.message).toMatch(/is missing \(undefined\)/)
  })

  it.each(forms.filter(([field]) => field !== 'jwk' && field !== 'jwks'))(
    '%s: an empty string (%o)',
    (field, extra) => {
      const error = refused(issuerWith({ key: { [field]: '', ...extra } }))
      expect(error.option).toBe(`issuers[0].key.${field}`)
      expect(error.message).toMatch(/is empty/)
    },
  )
})

describe('unknown members and union options say what is expected (issue 21, point 16)', () => {
  const jwksUrl = 'https://idp.example/jwks'
  const store = { findUser: async () => undefined }
  const cases: [string, unknown, string, RegExp][] = [
    [
      'a typo inside a remote key source',
      issuerWith({ key: { jwksUrl, cacheMaxAg: 60_000 } }),
      'issuers[0].key.cacheMaxAg',
      /unknown option \(did you mean "cacheMaxAge"\?\)/,
    ],
    [
      'a member no key source has',
      issuerWith({ key: { ...ed, agent: {} } }),
      'issuers[0].key.agent',
      /unknown option$/,
    ],
    [
      'a member of another key source',
      issuerWith({ key: { ...ed, encoding: 'utf8' } }),
      'issuers[0].key.encoding',
      /unknown option/,
    ],
    [
      'a typo inside a secret key source',
      issuerWith({ key: { secret: hmacSecret, encodng: 'utf8' } }),
      'issuers[0].key.encodng',
      /did you mean "encoding"\?/,
    ],
    [
      'a mistyped key source name',
      issuerWith({ key: { jwksURL: jwksUrl } }),
      'issuers[0].key.jwksURL',
      /did you mean "jwksUrl"\?/,
    ],
    [
      'a typo in the top-level options',
      { issuers: [{ issuer: ISSUER, key: ed }], credential: 'optional' },
      'credential',
      /unknown option \(did you mean "credentials"\?\)/,
    ],
    [
      'a typo in an issuer',
      issuerWith({ key: ed, audiance: 'api' }),
      'issuers[0].audiance',
      /did you mean "audience"\?/,
    ],
    [
      'a typo in the cache options',
      { issuers: [{ issuer: ISSUER, key: ed }], cache: { maxByte: 1024 } },
      'cache.maxByte',
      /did you mean "maxBytes"\?/,
    ],
    [
      'a typo in the user check options',
      { issuers: [{ issuer: ISSUER, key: ed }], users: { store, timout: 100 } },
      'users.timout',
      /did you mean "timeout"\?/,
    ],
    [
      'cache: true',
      { issuers: [{ issuer: ISSUER, key: ed }], cache: true },
      'cache',
      /must be false or \{ max\?, maxBytes\?, ttl\? \}/,
    ],
    [
      'a cache member of the wrong type',
      { issuers: [{ issuer: ISSUER, key: ed }], cache: { max: 'many' } },
      'cache.max',
      /expected number/,
    ],
    [
      'csrf: "yes"',
      { issuers: [{ issuer: ISSUER, key: ed }], csrf: 'yes' },
      'csrf',
      /must be true, false or \{ trustedOrigins \}/,
    ],
    [
      'issuer: undefined',
      { issuers: [{ issuer: undefined, key: ed }] },
      'issuers[0].issuer',
      /is missing \(undefined\): must be the exact "iss" string, or null/,
    ],
    [
      'issuer: 42',
      { issuers: [{ issuer: 42, key: ed }] },
      'issuers[0].issuer',
      /: must be the exact "iss" string, or null/,
    ],
    [
      'username: 42',
      issuerWith({ key: ed, username: 42 }),
      'issuers[0].username',
      /must be a claim path or a function/,
    ],
  ]
  it.each(cases)('%s', (_name, options, option, problem) => {
    const error = refused(options)
    expect(error.option).toBe(option)
    expect(error.message).toMatch(problem)
    expect(error.message).not.toMatch(/Invalid input$/)
  })
})

describe('a text secret without encoding is UTF-8, as in the CLI (issue 21, point 25)', () => {
  it('verifies a token MACed with the UTF-8 bytes, like `jwt-gate sign` without --secret-encoding', async () => {
    const gate = createAuthenticator({
      issuers: [{ issuer: ISSUER, key: { secret: hmacSecret } }],
      clock,
    })
    const auth = await gate.authenticate({
      headers: { authorization: `Bearer ${await sign(hmacSecret)}` },
    })
    expect(auth?.subject).toBe('alice')
  })

  /** A fresh copy of the library, so that "once per process" starts over. */
  async function encodingWarnings(key: Record<string, unknown>): Promise<string[]> {
    vi.resetModules()
    const fresh = await import('../../src/index.js')
    const seen: string[] = []
    const listener = (warning: Error & { code?: string }) => {
      if (warning.code === 'JWT_GATE_SECRET_ENCODING') seen.push(warning.message)
    }
    process.on('warning', listener)
    try {
      fresh.createAuthenticator({ issuers: [{ issuer: ISSUER, key } as never] })
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', listener)
    }
    return seen
  }

  it('warns once when the text is also base64 of 32 bytes or more (ClusterCockpit would decode it)', async () => {
    const [warning, ...more] = await encodingWarnings({ secret: hmacSecretBase64 })
    expect(more).toEqual([])
    expect(warning).toContain('"issuers[0].key.secret"')
    expect(warning).toMatch(/read as UTF-8.*encoding: 'base64'/)
    expect(warning).not.toContain(hmacSecretBase64)
  })

  it('is silent when the encoding is stated, or the text is not base64', async () => {
    expect(await encodingWarnings({ secret: hmacSecretBase64, encoding: 'utf8' })).toEqual([])
    expect(await encodingWarnings({ secret: hmacSecret })).toEqual([])
  })
})
