/**
 * Issue 21, point 28: an issuer without `audience` accepts tokens its issuer minted for any other
 * API. That is warned about once at start-up, unless the configuration says so on purpose
 * (`audience: false`) or uses a preset whose issuer puts no `aud` in its tokens.
 */
import { describe, expect, it, vi } from 'vitest'
import { ed25519, hmacSecret, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'

const ed = { ed25519: rawEd25519Base64(ed25519) }
const CODE = 'JWT_GATE_AUDIENCE_UNCHECKED'

/** Builds gates with a fresh copy of the library (so "once per process" starts over). */
async function audienceWarnings(...issuerLists: Record<string, unknown>[][]): Promise<string[]> {
  vi.resetModules()
  const { createAuthenticator } = await import('../../src/index.js')
  const seen: string[] = []
  const listener = (warning: Error & { code?: string }) => {
    if (warning.code === CODE) seen.push(warning.message)
  }
  process.on('warning', listener)
  try {
    for (const issuers of issuerLists) createAuthenticator({ issuers: issuers as never })
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', listener)
  }
  return seen
}

describe('an issuer without audience', () => {
  it('warns once at start-up, naming every issuer that checks no audience', async () => {
    const warnings = await audienceWarnings(
      [
        { issuer: ISSUER, key: ed },
        { issuer: 'b', key: ed, audience: 'api' },
        { issuer: 'c', key: ed },
      ],
      [{ issuer: ISSUER, key: ed }],
    )
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('"issuers[0].audience", "issuers[2].audience"')
    expect(warnings[0]).toMatch(/minted for any other API/)
    expect(warnings[0]).toMatch(/audience: false/)
  })

  it.each([
    ['an audience', { audience: 'api' }],
    ['audience: false (on purpose)', { audience: false }],
    ['the clustercockpit preset (its tokens carry no aud)', { claims: 'clustercockpit' }],
    ['the authotron preset (its tokens carry no aud)', { claims: 'authotron' }],
  ])('is silent with %s', async (_name, fields) => {
    expect(await audienceWarnings([{ issuer: ISSUER, key: ed, ...fields }])).toEqual([])
  })

  it('audience: false accepts tokens whatever their aud, like no audience', async () => {
    const { createAuthenticator } = await import('../../src/index.js')
    const gate = createAuthenticator({
      issuers: [{ issuer: ISSUER, key: { secret: hmacSecret }, audience: false }],
      clock,
    })
    for (const aud of [undefined, 'other-api', ['a', 'b']]) {
      const token = await sign(hmacSecret, { claims: { aud } })
      const auth = await gate.authenticate({ headers: { authorization: `Bearer ${token}` } })
      expect(auth?.subject).toBe('alice')
    }
  })

  it('audience: true is refused, saying what is expected', async () => {
    const { createAuthenticator, AuthConfigError } = await import('../../src/index.js')
    let error: unknown
    try {
      createAuthenticator({ issuers: [{ issuer: ISSUER, key: ed, audience: true as never }] })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(AuthConfigError)
    expect((error as InstanceType<typeof AuthConfigError>).option).toBe('issuers[0].audience')
    expect((error as Error).message).toMatch(/non-empty string.*or false/)
  })
})
