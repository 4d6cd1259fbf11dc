/**
 * The weak-secret rule (issue 21, point 8): one function, used by the middleware (a process
 * warning with a code, once) and by the CLI (a line on stderr).
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { weakSecretReason } from '../../src/keys/secret-checks.js'
import { hmacSecret } from '../helpers/keys.js'
import { ISSUER } from '../helpers/tokens.js'

const utf8 = (text: string) => Buffer.from(text, 'utf8')

describe('weakSecretReason', () => {
  const weak: [string, Buffer, RegExp][] = [
    ['32 identical bytes', Buffer.alloc(32, 7), /1 distinct byte value/],
    ['two alternating bytes', utf8('01'.repeat(16)), /2 distinct byte values/],
    ['a word repeated', utf8('secret-key!'.repeat(4)), /repeats a pattern of 11 bytes/],
    ['a longer phrase repeated', utf8('my-jwt-secret-'.repeat(3)), /repeats a pattern of 14 bytes/],
    ['a short secret padded', utf8(`mysecretkey${'0'.repeat(21)}`), /run of 21 identical bytes/],
    ['a tiny alphabet', utf8('abcabcabcaabbccabcbcabcaaabcbacb'), /3 distinct byte values/],
  ]
  it.each(weak)('%s is weak', (_name, bytes, reason) => {
    expect(weakSecretReason(bytes)).toMatch(reason)
  })

  const strong: [string, Buffer][] = [
    ['random bytes', randomBytes(32)],
    ['random hex text', utf8(randomBytes(32).toString('hex'))],
    ['random base64 text', utf8(randomBytes(32).toString('base64'))],
    ['random decimal digits', utf8('83019475620184736592017364859201')],
    ['a passphrase', utf8('correct horse battery staple, sideways')],
    ['the test secret', utf8(hmacSecret)],
  ]
  it.each(strong)('%s is not', (_name, bytes) => {
    expect(weakSecretReason(bytes)).toBeUndefined()
  })
})

describe('the middleware warns once about a weak secret', () => {
  /** A fresh copy of the library, so that "once per process" starts over. */
  async function warningsFor(
    secrets: (string | Uint8Array)[],
  ): Promise<(Error & { code?: string })[]> {
    vi.resetModules()
    const { createAuthenticator } = await import('../../src/index.js')
    const seen: (Error & { code?: string })[] = []
    const listener = (warning: Error & { code?: string }) => seen.push(warning)
    process.on('warning', listener)
    try {
      for (const secret of secrets) {
        createAuthenticator({
          issuers: [
            typeof secret === 'string'
              ? { issuer: ISSUER, key: { secret, encoding: 'utf8' }, audience: 'api' }
              : { issuer: ISSUER, key: { secret }, audience: 'api' },
          ],
        })
      }
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', listener)
    }
    return seen.filter((warning) => warning.code === 'JWT_GATE_WEAK_SECRET')
  }

  it('32 identical bytes: one JWT_GATE_WEAK_SECRET warning naming the option, never the secret', async () => {
    const warnings = await warningsFor([new Uint8Array(32).fill(0x41), 'x'.repeat(40)])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.message).toContain('"issuers[0].key.secret" looks weak')
    expect(warnings[0]?.message).toMatch(/1 distinct byte value/)
    expect(warnings[0]?.message).not.toContain('A'.repeat(8))
  })

  it('a random secret: no warning', async () => {
    expect(await warningsFor([randomBytes(32), hmacSecret])).toEqual([])
  })
})
