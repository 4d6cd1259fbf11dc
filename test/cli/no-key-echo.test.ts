/**
 * Issue 21, point 6: no message of any command contains key, secret or token bytes. Every command
 * meets malformed key material in every form (PEM, private JWK, JWKS, raw base64, HMAC secrets,
 * tokens), from files, environment variables and standard input, and in the places a hurried
 * operator puts it by mistake (a path or a variable name); no 8-character window of the secret
 * material may appear in standard output or standard error.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NOW_S, cli, tempDir, type CliResult, type CliRunOptions } from './run-cli.js'
import { ISSUER } from '../helpers/tokens.js'

const WINDOW = 8

/** A malformed (or misplaced) piece of key material and the parts of it that must never show. */
interface Fixture {
  name: string
  text: string
  secrets: string[]
}

const ed = generateKeyPairSync('ed25519')
const edOther = generateKeyPairSync('ed25519')
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })

const pkcs8 = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString()
const spki = (key: KeyObject) => key.export({ format: 'pem', type: 'spki' }).toString()
const jwkOf = (key: KeyObject) => key.export({ format: 'jwk' }) as Record<string, string>
const bodyLines = (pem: string) => pem.split('\n').filter((l) => l !== '' && !l.startsWith('---'))
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']
const privateMembers = (jwk: Record<string, string>) =>
  PRIVATE_MEMBERS.flatMap((m) => (typeof jwk[m] === 'string' ? [jwk[m]] : []))

/** A JSON text with one member's value left unquoted: JSON.parse then quotes it in its message. */
function unquoted(jwk: Record<string, string>, member: string, wrap = (s: string) => s): string {
  const json = wrap(JSON.stringify(jwk))
  return json.replace(`"${member}":"${jwk[member]}"`, `"${member}":${jwk[member]}`)
}

function pemFixtures(): Fixture[] {
  const edPem = pkcs8(ed.privateKey)
  const rsaPem = pkcs8(rsa.privateKey)
  const ecPem = pkcs8(ec.privateKey)
  const rsaLines = rsaPem.trim().split('\n')
  const ecLines = ecPem.trim().split('\n')
  const sec1 = ec.privateKey.export({ format: 'pem', type: 'sec1' }).toString()
  return [
    {
      name: 'PEM Ed25519 private key with a broken DER length',
      text: edPem.replace('MC4C', 'MC9C'),
      secrets: bodyLines(edPem).map((l) => l.slice(4)),
    },
    {
      name: 'PEM RSA private key cut in half',
      text: [...rsaLines.slice(0, 12), rsaLines.at(-1)].join('\n'),
      secrets: bodyLines(rsaPem).slice(0, 11),
    },
    {
      name: 'PEM EC private key with characters outside base64',
      text: [
        ecLines[0],
        `${ecLines[1]?.slice(0, 20)}!!${ecLines[1]?.slice(20)}`,
        ...ecLines.slice(2),
      ].join('\n'),
      secrets: bodyLines(ecPem),
    },
    {
      name: 'PEM SEC1 EC key under an RSA label',
      text: sec1.replaceAll('EC PRIVATE KEY', 'RSA PRIVATE KEY'),
      secrets: bodyLines(sec1),
    },
    {
      name: 'PEM private key in CERTIFICATE armour',
      text: edPem.replaceAll('PRIVATE KEY', 'CERTIFICATE'),
      secrets: bodyLines(edPem),
    },
    {
      name: 'PEM private key without its END line',
      text: edPem.trim().split('\n').slice(0, -1).join('\n'),
      secrets: bodyLines(edPem),
    },
    {
      name: 'PEM public key with a broken DER length',
      text: spki(ed.publicKey).replace('MCow', 'MCox'),
      secrets: bodyLines(spki(ed.publicKey)).map((l) => l.slice(4)),
    },
  ]
}

function jwkFixtures(): Fixture[] {
  const edJwk: Record<string, string> = { ...jwkOf(ed.privateKey), kid: 'ed-1' }
  const ecJwk = jwkOf(ec.privateKey)
  const rsaJwk = jwkOf(rsa.privateKey)
  const shortD = { ...edJwk, d: edJwk.d!.slice(0, 20) }
  return [
    {
      name: 'private JWK with d unquoted',
      text: unquoted(edJwk, 'd'),
      secrets: [edJwk.d!],
    },
    {
      name: 'private RSA JWK with p unquoted',
      text: unquoted(rsaJwk, 'p'),
      secrets: privateMembers(rsaJwk),
    },
    {
      name: 'private JWK with a trailing comma',
      text: JSON.stringify(ecJwk).replace(/}$/, ',}'),
      secrets: privateMembers(ecJwk),
    },
    { name: 'private JWK with a short d', text: JSON.stringify(shortD), secrets: [shortD.d] },
    {
      name: 'private EC JWK with an unknown curve',
      text: JSON.stringify({ ...ecJwk, crv: 'P-999' }),
      secrets: privateMembers(ecJwk),
    },
    {
      name: 'private RSA JWK without its primes',
      text: JSON.stringify({ kty: 'RSA', n: rsaJwk.n, e: rsaJwk.e, d: rsaJwk.d }),
      secrets: [rsaJwk.d!],
    },
    {
      name: 'private JWK without kty',
      text: JSON.stringify({ ...edJwk, kty: undefined }),
      secrets: [edJwk.d!],
    },
    {
      name: 'private JWK in an array',
      text: JSON.stringify([edJwk]),
      secrets: [edJwk.d!],
    },
  ]
}

function jwksFixtures(): Fixture[] {
  const edJwk: Record<string, string> = { ...jwkOf(ed.privateKey), kid: 'a' }
  const ecJwk: Record<string, string> = { ...jwkOf(ec.privateKey), kid: 'b' }
  return [
    {
      name: 'JWKS of a private key with d unquoted',
      text: unquoted(edJwk, 'd', (json) => `{"keys":[${json}]}`),
      secrets: [edJwk.d!],
    },
    {
      name: 'JWKS of two private keys',
      text: JSON.stringify({ keys: [edJwk, ecJwk] }),
      secrets: [edJwk.d!, ecJwk.d!],
    },
    {
      name: 'JWKS whose keys is an object',
      text: JSON.stringify({ keys: { a: edJwk } }),
      secrets: [edJwk.d!],
    },
  ]
}

function rawFixtures(): Fixture[] {
  const seed = Buffer.from(jwkOf(ed.privateKey).d!, 'base64url')
  const pub = Buffer.from(jwkOf(ed.publicKey).x!, 'base64url')
  const otherPub = Buffer.from(jwkOf(edOther.publicKey).x!, 'base64url')
  const goKey = Buffer.concat([seed, pub]).toString('base64')
  const urlSafe = Buffer.concat([seed, pub]).toString('base64url')
  const mismatched = Buffer.concat([seed, otherPub]).toString('base64')
  const odd = randomBytes(48).toString('base64')
  return [
    {
      name: 'raw Go private key in the URL-safe alphabet',
      text: /[-_]/.test(urlSafe) ? urlSafe : `-${urlSafe.slice(1)}`,
      secrets: [urlSafe.slice(1)],
    },
    {
      name: 'raw Go private key with halves that do not match',
      text: mismatched,
      secrets: [goKey.slice(0, 43)],
    },
    { name: 'raw base64 of 48 bytes', text: odd, secrets: [odd] },
    {
      name: 'raw Go private key with a line break inside',
      text: `${goKey.slice(0, 40)}\n${goKey.slice(40)}`,
      secrets: [goKey.slice(0, 40), goKey.slice(40)],
    },
    {
      name: 'raw Go private key without padding',
      text: goKey.replace(/=+$/, ''),
      secrets: [goKey.replace(/=+$/, '')],
    },
  ]
}

function hmacFixtures(): Fixture[] {
  const k = randomBytes(48).toString('base64url')
  const short = randomBytes(15).toString('hex')
  const badBase64 = `${randomBytes(30).toString('base64').slice(0, 38)}!=`
  const spaced = randomBytes(64).toString('base64')
  return [
    { name: 'HMAC JWK (kty oct)', text: JSON.stringify({ kty: 'oct', k }), secrets: [k] },
    { name: 'HMAC JWK with k unquoted', text: `{"kty":"oct","k":${k}}`, secrets: [k] },
    { name: 'HMAC secret of 15 bytes', text: short, secrets: [short] },
    { name: 'HMAC secret that is not base64', text: badBase64, secrets: [badBase64.slice(0, 38)] },
    {
      name: 'HMAC base64 secret with a space inside',
      text: `${spaced.slice(0, 40)} ${spaced.slice(40)}`,
      secrets: [spaced.slice(0, 40), spaced.slice(40)],
    },
  ]
}

async function tokenFixtures(): Promise<Fixture[]> {
  const token = await new SignJWT({ iss: ISSUER, sub: 'alice', iat: NOW_S, exp: NOW_S + 600 })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: 'k1' })
    .sign(ed.privateKey)
  const signature = token.split('.')[2] ?? ''
  const jwe = Array.from({ length: 5 }, () => randomBytes(24).toString('base64url'))
  const [, payload] = token.split('.')
  return [
    { name: 'a signed token', text: token, secrets: [signature] },
    { name: 'a quoted Bearer token', text: `"Bearer ${token}"`, secrets: [signature] },
    {
      name: 'a token with a payload that is not JSON',
      text: `${token.split('.')[0]}.${payload?.slice(3)}.${signature}`,
      secrets: [signature],
    },
    { name: 'a JWE-shaped token', text: jwe.join('.'), secrets: jwe.slice(1) },
  ]
}

/** The first window of any secret that appears in the output, for a readable failure. */
function leakedWindow(result: CliResult, secrets: string[]): string | undefined {
  const output = `${result.stdout}\n${result.stderr}`
  for (const secret of secrets) {
    for (let i = 0; i + WINDOW <= secret.length; i++) {
      const window = secret.slice(i, i + WINDOW)
      if (output.includes(window)) return window
    }
  }
  return undefined
}

/** One way of handing a fixture to a command. */
interface Invocation {
  name: string
  run(fixture: Fixture, paths: FixturePaths): Promise<CliResult>
}

interface FixturePaths {
  /** A directory of its own holding `key` (the fixture) and keygen's `private.pem` (the fixture). */
  dir: string
  key: string
  config: string
  brokenConfig: string
  envFile: string
}

let root: string
let cleanup: () => Promise<void>
let goodToken: string
let goodPublicPem: string
let fixtures: Fixture[]
const paths = new Map<string, FixturePaths>()

beforeAll(async () => {
  ;({ dir: root, cleanup } = await tempDir())
  goodToken = await new SignJWT({ iss: ISSUER, sub: 'bob', iat: NOW_S, exp: NOW_S + 600 })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .sign(edOther.privateKey)
  goodPublicPem = join(root, 'good-public.pem')
  await writeFile(goodPublicPem, spki(edOther.publicKey))
  fixtures = [
    ...pemFixtures(),
    ...jwkFixtures(),
    ...jwksFixtures(),
    ...rawFixtures(),
    ...hmacFixtures(),
    ...(await tokenFixtures()),
  ]
  for (const [index, fixture] of fixtures.entries()) {
    const dir = join(root, String(index))
    await mkdir(dir)
    const p: FixturePaths = {
      dir,
      key: join(dir, 'key'),
      config: join(dir, 'config.json'),
      brokenConfig: join(dir, 'broken.json'),
      envFile: join(dir, 'cc.env'),
    }
    const jwts = {
      'max-age': '1h',
      'public-key': fixture.text,
      'private-key': fixture.text,
      'cross-login-public-key': fixture.text,
      'cross-login-hs512-key': fixture.text,
      'cookie-name': 'cc',
      'trusted-issuer': ISSUER,
    }
    const escaped = fixture.text.replaceAll('\n', '\\n').replaceAll('"', '\\"')
    await writeFile(p.key, fixture.text)
    await writeFile(join(dir, 'private.pem'), fixture.text)
    await writeFile(p.config, JSON.stringify({ jwts }))
    await writeFile(p.brokenConfig, `{"jwts":{"max-age":"1h","private-key":${fixture.text}}}`)
    await writeFile(
      p.envFile,
      ['JWT_PUBLIC_KEY', 'JWT_PRIVATE_KEY', 'CROSS_LOGIN_JWT_HS512_KEY']
        .map((name) => `${name}="${escaped}"\n`)
        .join(''),
    )
    paths.set(fixture.name, p)
  }
})
afterAll(() => cleanup())

const run = (argv: string[], options: CliRunOptions = {}) => cli(argv, { cwd: root, ...options })
const inEnv = (text: string) => ({ env: { KEY_MATERIAL: text } })

const invocations: Invocation[] = [
  // keygen reads no key, but must not quote the files it refuses to overwrite.
  { name: 'keygen --out DIR (private.pem exists)', run: (_, p) => run(['keygen', '--out', p.dir]) },
  { name: 'keygen --out FILE', run: (_, p) => run(['keygen', '--out', p.key]) },
  // convert
  ...(['pem', 'jwk', 'raw'] as const).map((to) => ({
    name: `convert --to ${to} FILE`,
    run: (_: Fixture, p: FixturePaths) => run(['convert', '--to', to, p.key]),
  })),
  {
    name: 'convert --to raw --json FILE',
    run: (_, p) => run(['convert', '--to', 'raw', '--json', p.key]),
  },
  {
    name: 'convert --to jwk --kid x FILE',
    run: (_, p) => run(['convert', '--to', 'jwk', '--kid', 'x', p.key]),
  },
  {
    name: 'convert --to pem < stdin',
    run: (f) => run(['convert', '--to', 'pem'], { stdin: f.text }),
  },
  // inspect: the key in every way it takes one
  {
    name: 'inspect TOKEN --key FILE',
    run: (_, p) => run(['inspect', goodToken, '--key', p.key, '--issuer', ISSUER]),
  },
  {
    name: 'inspect TOKEN --key FILE --json',
    run: (_, p) => run(['inspect', goodToken, '--key', p.key, '--json']),
  },
  {
    name: 'inspect TOKEN --secret-file FILE',
    run: (_, p) => run(['inspect', goodToken, '--secret-file', p.key]),
  },
  {
    name: 'inspect TOKEN --secret-file FILE --secret-encoding base64',
    run: (_, p) =>
      run(['inspect', goodToken, '--secret-file', p.key, '--secret-encoding', 'base64']),
  },
  {
    name: 'inspect TOKEN --secret-env NAME',
    run: (f) => run(['inspect', goodToken, '--secret-env', 'KEY_MATERIAL'], inEnv(f.text)),
  },
  {
    name: 'inspect TOKEN --secret-env NAME --secret-encoding base64 --json',
    run: (f) =>
      run(
        [
          'inspect',
          goodToken,
          '--secret-env',
          'KEY_MATERIAL',
          '--secret-encoding',
          'base64',
          '--json',
        ],
        inEnv(f.text),
      ),
  },
  {
    name: 'inspect TOKEN --ed25519 VALUE',
    run: (f) => run(['inspect', goodToken, '--ed25519', f.text]),
  },
  // inspect: the material as the token
  {
    name: 'inspect VALUE --key GOOD',
    run: (f) => run(['inspect', f.text, '--key', goodPublicPem]),
  },
  {
    name: 'inspect --json < stdin',
    run: (f) => run(['inspect', '--json', '--key', goodPublicPem], { stdin: f.text }),
  },
  // sign
  { name: 'sign --key FILE', run: (_, p) => run(['sign', '--key', p.key, '--sub', 'a']) },
  {
    name: 'sign --key FILE --json',
    run: (_, p) => run(['sign', '--key', p.key, '--sub', 'a', '--json']),
  },
  {
    name: 'sign --secret-file FILE',
    run: (_, p) => run(['sign', '--secret-file', p.key, '--sub', 'a']),
  },
  {
    name: 'sign --secret-file FILE --secret-encoding base64',
    run: (_, p) =>
      run(['sign', '--secret-file', p.key, '--secret-encoding', 'base64', '--sub', 'a']),
  },
  {
    name: 'sign --secret-env NAME',
    run: (f) => run(['sign', '--secret-env', 'KEY_MATERIAL', '--sub', 'a'], inEnv(f.text)),
  },
  {
    name: 'sign --secret-env NAME --secret-encoding base64',
    run: (f) =>
      run(
        ['sign', '--secret-env', 'KEY_MATERIAL', '--secret-encoding', 'base64', '--sub', 'a'],
        inEnv(f.text),
      ),
  },
  {
    name: 'sign --ed25519-private-env NAME',
    run: (f) => run(['sign', '--ed25519-private-env', 'KEY_MATERIAL', '--sub', 'a'], inEnv(f.text)),
  },
  // check-config
  {
    name: 'check-config FILE (the material as the config)',
    run: (_, p) => run(['check-config', p.key]),
  },
  {
    name: 'check-config CONFIG (material in jwts)',
    run: (_, p) => run(['check-config', p.config, '--json']),
  },
  {
    name: 'check-config BROKEN-CONFIG (material unquoted)',
    run: (_, p) => run(['check-config', p.brokenConfig]),
  },
  {
    name: 'check-config CONFIG --env-file ENV',
    run: (_, p) => run(['check-config', p.config, '--env-file', p.envFile]),
  },
  {
    name: 'check-config CONFIG --env-file FILE',
    run: (_, p) => run(['check-config', p.config, '--env-file', p.key]),
  },
  {
    name: 'check-config --env (JWT_PUBLIC_KEY_FILE)',
    run: (_, p) =>
      run(['check-config', '--env'], { env: { JWT_ISSUER: ISSUER, JWT_PUBLIC_KEY_FILE: p.key } }),
  },
  {
    name: 'check-config --env (JWT_PUBLIC_KEY, CROSS_LOGIN_JWT_PUBLIC_KEY)',
    run: (f, p) =>
      run(['check-config', '--env', '--json'], {
        env: { CONFIG_FILE: p.config, JWT_PUBLIC_KEY: f.text, CROSS_LOGIN_JWT_PUBLIC_KEY: f.text },
      }),
  },
  {
    name: 'check-config --env (JWT_SECRET, JWT_ALGORITHMS)',
    run: (f) =>
      run(['check-config', '--env'], {
        env: { JWT_ISSUER: ISSUER, JWT_SECRET: f.text, JWT_ALGORITHMS: 'EdDSA' },
      }),
  },
  {
    name: 'check-config --env (a key as JWT_ALGORITHMS)',
    run: (f) =>
      run(['check-config', '--env'], { env: { JWT_ISSUER: ISSUER, JWT_ALGORITHMS: f.text } }),
  },
  {
    name: 'check-config --env (CONFIG_FILE, USERS_FILE)',
    run: (_, p) =>
      run(['check-config', '--env'], {
        env: {
          CONFIG_FILE: p.key,
          USERS_FILE: p.key,
          JWT_VALIDATE_USERS: 'true',
          USERS_DB: 'u.db',
          JWT_SECRET: 'x'.repeat(40),
        },
      }),
  },
]

/** Places that take a path or a variable name, where key material lands by mistake. */
const misplaced: Invocation[] = [
  { name: 'jwt-gate VALUE (as the command)', run: (f) => run([f.text]) },
  { name: 'inspect TOKEN --key VALUE', run: (f) => run(['inspect', goodToken, '--key', f.text]) },
  {
    name: 'inspect TOKEN --secret-file VALUE',
    run: (f) => run(['inspect', goodToken, '--secret-file', f.text]),
  },
  {
    name: 'inspect TOKEN --secret-env VALUE',
    run: (f) => run(['inspect', goodToken, '--secret-env', f.text]),
  },
  { name: 'inspect TOKEN VALUE (a second token)', run: (f) => run(['inspect', goodToken, f.text]) },
  { name: 'sign --key VALUE', run: (f) => run(['sign', '--key', f.text]) },
  { name: 'sign --secret-file VALUE', run: (f) => run(['sign', '--secret-file', f.text]) },
  { name: 'sign --secret-env VALUE', run: (f) => run(['sign', '--secret-env', f.text]) },
  {
    name: 'sign --ed25519-private-env VALUE',
    run: (f) => run(['sign', '--ed25519-private-env', f.text]),
  },
  {
    name: 'sign --key GOOD VALUE (a stray argument)',
    run: (f) => run(['sign', '--secret-env', 'S', f.text], { env: { S: 'y'.repeat(40) } }),
  },
  { name: 'convert --to pem VALUE', run: (f) => run(['convert', '--to', 'pem', f.text]) },
  {
    name: 'convert --to pem GOOD VALUE',
    run: (f) => run(['convert', '--to', 'pem', goodPublicPem, f.text]),
  },
  { name: 'check-config VALUE', run: (f) => run(['check-config', f.text]) },
  {
    name: 'check-config --env --env-file VALUE',
    run: (f) => run(['check-config', '--env', '--env-file', f.text]),
  },
  {
    name: 'check-config --env (a key as JWT_PUBLIC_KEY_FILE)',
    run: (f) =>
      run(['check-config', '--env'], { env: { JWT_ISSUER: ISSUER, JWT_PUBLIC_KEY_FILE: f.text } }),
  },
]

describe('no command echoes key, secret or token bytes', () => {
  it('the fixtures are what they claim: each secret is long enough to be tested', () => {
    for (const fixture of fixtures) {
      expect(fixture.secrets.length, fixture.name).toBeGreaterThan(0)
      for (const secret of fixture.secrets)
        expect(secret.length, fixture.name).toBeGreaterThanOrEqual(WINDOW)
    }
  })

  it('the window check finds an echo (the test can fail)', () => {
    const fixture = { name: 'x', text: 'abcdefghijklmnop', secrets: ['abcdefghijklmnop'] }
    expect(
      leakedWindow({ code: 1, stdout: '', stderr: 'bad key ...ghijklmn...' }, fixture.secrets),
    ).toBe('ghijklmn')
  })

  /** No window of the fixture's secrets in the output, and no raw error passed through. */
  function expectNothingQuoted(result: CliResult, fixture: Fixture): void {
    expect
      .soft(
        leakedWindow(result, fixture.secrets),
        `${fixture.name}: ${result.stdout}${result.stderr}`,
      )
      .toBeUndefined()
    expect.soft(result.stderr, fixture.name).not.toMatch(/unexpected [A-Za-z]*Error/)
  }

  describe.each(invocations.map((i) => [i.name, i] as const))('%s', (_, invocation) => {
    it('quotes nothing of any malformed key file', async () => {
      for (const fixture of fixtures) {
        const result = await invocation.run(fixture, paths.get(fixture.name)!)
        expectNothingQuoted(result, fixture)
      }
    })
  })

  describe.each(misplaced.map((i) => [i.name, i] as const))('%s', (_, invocation) => {
    it('does not quote key material given where a path or name belongs', async () => {
      for (const fixture of fixtures) {
        const result = await invocation.run(fixture, paths.get(fixture.name)!)
        expect.soft(result.code, fixture.name).not.toBe(0)
        expectNothingQuoted(result, fixture)
      }
    })
  })

  it('names the file and the problem', async () => {
    const p = paths.get('private JWK with d unquoted')!
    const result = await run(['inspect', goodToken, '--key', p.key])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`jwt-gate inspect: key file "${p.key}": not valid JSON\n`)
  })
})
