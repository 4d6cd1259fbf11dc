/**
 * The framework-free parts of DPoP (RFC 9449) on their own: the public-origin rule and the `htu`
 * comparison (§4.3: scheme and host without regard to case, default ports, no query or fragment,
 * never the request's Host), stateless nonces on a fixed clock (§8), RFC 7638 thumbprints
 * (the RFC's own example), and the challenges of each mode (§7.1).
 */
import { describe, expect, it } from 'vitest'
import { buildDpopChallenges } from '../../src/challenge.js'
import { generateKeyPairSync } from 'node:crypto'
import { NonceIssuer } from '../../src/dpop/nonce.js'
import { ProofKeys, isPublicJwk } from '../../src/dpop/proof-keys.js'
import { htuMatches, originProblem } from '../../src/dpop/origin.js'
import { accessTokenHash, jwkThumbprint } from '../../src/dpop/thumbprint.js'
import { checkSenderConstraint } from '../../src/dpop/binding.js'
import { resolveDpop } from '../../src/options/resolve-dpop.js'
import { createMemoryReplayStore } from '../../src/stores/memory-replay.js'
import { SignJWT } from 'jose'

describe('publicOrigin', () => {
  it.each([
    ['https://api.example.org', undefined],
    ['https://api.example.org/', undefined],
    ['http://127.0.0.1:8080', undefined],
    ['http://localhost:3000', undefined],
    ['http://api.example.org', 'must use https (http only on loopback)'],
    ['https://api.example.org/v1', 'must be an origin only'],
    ['https://api.example.org?x=1', 'must be an origin only'],
    ['api.example.org', 'must be an absolute origin'],
  ])('%s', (origin, problem) => {
    if (problem === undefined) expect(originProblem(origin)).toBeUndefined()
    else expect(originProblem(origin)).toContain(problem)
  })
})

describe('htu', () => {
  const origin = 'https://api.example.org'
  it.each([
    ['https://api.example.org/r', '/r', true],
    ['HTTPS://API.Example.ORG/r', '/r?q=1', true],
    ['https://api.example.org:443/r', '/r', true],
    ['https://api.example.org/a/../r', '/r', true],
    ['https://api.example.org/R', '/r', false],
    ['https://api.example.org/r?q=1', '/r?q=1', false],
    ['https://api.example.org/r#f', '/r', false],
    ['https://api.example.org:8443/r', '/r', false],
    ['http://api.example.org/r', '/r', false],
    ['https://evil.example/r', '/r', false],
    ['https://user@api.example.org/r', '/r', false],
    ['https://evil.example/r', '//evil.example/r', false],
    ['https://evil.example/r', 'https://evil.example/r', false],
    ['not a url', '/r', false],
  ])('%s for %s: %s', (htu, target, matches) => {
    expect(htuMatches(htu, origin, target)).toBe(matches)
  })
})

describe('nonces', () => {
  const step = 60
  const issuer = new NonceIssuer('s'.repeat(32), step)
  const t0 = 1_700_000_000_000

  it('accepts the current and the previous step only', () => {
    const nonce = issuer.current(t0)
    expect(issuer.acceptedStep(nonce, t0)).toBe(issuer.step(t0))
    expect(issuer.acceptedStep(nonce, t0 + step * 1000)).toBe(issuer.step(t0))
    expect(issuer.acceptedStep(nonce, t0 + 2 * step * 1000)).toBeUndefined()
    expect(issuer.acceptedStep(nonce, t0 - step * 1000)).toBeUndefined()
  })

  it('refuses another secret, a changed byte, and a non-string', () => {
    const nonce = issuer.current(t0)
    expect(new NonceIssuer('t'.repeat(32), step).acceptedStep(nonce, t0)).toBeUndefined()
    const last = nonce.at(-1) === 'A' ? 'B' : 'A'
    expect(issuer.acceptedStep(`${nonce.slice(0, -1)}${last}`, t0)).toBeUndefined()
    expect(issuer.acceptedStep(42, t0)).toBeUndefined()
    expect(issuer.acceptedStep(`${nonce}A`, t0)).toBeUndefined()
  })
})

it('computes the RFC 7638 §3.1 example thumbprint', () => {
  const jwk = {
    kty: 'RSA',
    n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
    e: 'AQAB',
    alg: 'RS256',
    kid: '2011-04-29',
  }
  expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
  expect(jwkThumbprint({ kty: 'oct', k: 'x' })).toBeUndefined()
  expect(jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'x' })).toBeUndefined()
})

describe('challenges', () => {
  const required = { algs: 'ES256 EdDSA', bearerToo: false }
  const allowed = { algs: 'ES256 EdDSA', bearerToo: true }
  it('required: the DPoP scheme only, with algs', () => {
    expect(buildDpopChallenges(required, false, 'api')).toBe('DPoP realm="api", algs="ES256 EdDSA"')
  })
  it('allowed: Bearer then DPoP; a proof error goes to DPoP, a bearer error to Bearer', () => {
    expect(
      buildDpopChallenges(allowed, true, 'api', 'invalid_dpop_proof', { description: 'bad' }),
    ).toBe(
      'Bearer realm="api", DPoP realm="api", error="invalid_dpop_proof", error_description="bad", algs="ES256 EdDSA"',
    )
    expect(
      buildDpopChallenges(allowed, false, 'api', 'invalid_token', { description: 'expired' }),
    ).toBe(
      'Bearer realm="api", error="invalid_token", error_description="expired", DPoP realm="api", algs="ES256 EdDSA"',
    )
  })
})

describe('proof keys', () => {
  const jwkOf = (bits: number) =>
    generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' })

  it('imports a public key once per thumbprint, and refuses RSA below 2048 bits', () => {
    const keys = new ProofKeys(2)
    const strong = jwkOf(2048) as Record<string, unknown>
    const first = keys.get('a', strong)
    expect(first).toBeDefined()
    expect(keys.get('a', strong)).toBe(first)
    expect(keys.get('b', jwkOf(1024) as Record<string, unknown>)).toBeUndefined()
    expect(keys.size).toBe(1)
  })

  it('refuses private and symmetric members', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    expect(isPublicJwk(privateKey.export({ format: 'jwk' }))).toBe(false)
    expect(isPublicJwk({ kty: 'oct', k: 'AAAA' })).toBe(false)
    expect(isPublicJwk({ kty: 'RSA', n: 'x', e: 'AQAB', p: 'y' })).toBe(false)
    expect(isPublicJwk([])).toBe(false)
  })
})

describe('known proof headers', () => {
  const ORIGIN = 'https://api.example.org'
  const TOKEN = 'an.access.token'
  const NOW = Date.UTC(2026, 5, 1) // ms

  function client() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>
    const proof = (jti: string) =>
      new SignJWT({
        htm: 'GET',
        htu: `${ORIGIN}/r`,
        iat: NOW / 1000,
        jti,
        ath: accessTokenHash(TOKEN),
      })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
        .sign(privateKey)
    return { jkt: jwkThumbprint(jwk)!, proof }
  }

  function settings() {
    const replayStore = createMemoryReplayStore({ clock: () => new Date(NOW) })
    return resolveDpop({ mode: 'allowed', replayStore, publicOrigin: ORIGIN })!
  }

  const check = async (s: ReturnType<typeof settings>, proof: string, jkt: string) =>
    checkSenderConstraint(s, { proof, method: 'GET', target: '/r' }, TOKEN, jkt, NOW)

  it("remembers a header only once its key is the token's, and still checks every signature", async () => {
    const s = settings()
    const holder = client()
    const stranger = client()
    // A key of the client's own making, bound to no token: its header is not remembered.
    await expect(check(s, await stranger.proof('j0'), holder.jkt)).rejects.toMatchObject({
      code: 'ERR_AUTH_DPOP_BINDING_MISMATCH',
    })
    expect(s.keys.headers.size).toBe(0)
    await expect(check(s, await holder.proof('j1'), holder.jkt)).resolves.toMatchObject({
      jkt: holder.jkt,
    })
    expect(s.keys.headers.size).toBe(1)
    // The known header with another signature: still refused.
    const [h, p] = (await holder.proof('j2')).split('.')
    const [, , otherSignature] = (await stranger.proof('j2')).split('.')
    await expect(check(s, `${h}.${p}.${otherSignature}`, holder.jkt)).rejects.toMatchObject({
      code: 'ERR_AUTH_DPOP_PROOF_INVALID',
    })
    await expect(check(s, await holder.proof('j3'), holder.jkt)).resolves.toBeDefined()
  })
})
