/**
 * Every request-time error message reaches the client unaltered in `error_description`: it needs
 * none of the replacements the challenge builder makes (RFC 6750 §3 forbids `"` and `\`).
 * The messages are found in the source, so a new message is checked the day it is written.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createAuthenticator, requirePolicy } from '../../src/index.js'
import { buildChallenge } from '../../src/challenge.js'
import { hmacSecret } from '../helpers/keys.js'
import { ISSUER, NOW_S, clock, signHmac } from '../helpers/tokens.js'

const SRC = join(import.meta.dirname, '../../src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? entry.name === 'cli'
        ? []
        : sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  )
}

const LITERAL = String.raw`(['"\x60])((?:(?!\1)[^\\]|\\.)*)\1`
/** A message after a code (`'ERR_AUTH_X', 'message'` or `'ERR_AUTH_X', 401, undefined, 'message'`). */
const AFTER_CODE = new RegExp(
  String.raw`'ERR_AUTH_[A-Z_]+',\s*(?:\d+,\s*(?:undefined|'[a-z_]+'),\s*)?` + LITERAL,
  'g',
)
/** A message handed to a local helper that adds the code (`malformed('...')`, `invalid(code, ...)`). */
const HELPER = new RegExp(String.raw`\b(?:malformed|headerInvalid)\(\s*` + LITERAL, 'g')

function messagesIn(text: string): string[] {
  const found: string[] = []
  for (const pattern of [AFTER_CODE, HELPER]) {
    for (const match of text.matchAll(pattern)) found.push(match[2]!.replace(/\$\{[^}]*\}/g, 'x'))
  }
  return found
}

const messages = [...new Set(sourceFiles(SRC).flatMap((f) => messagesIn(readFileSync(f, 'utf8'))))]

describe('error messages need no replacement in the challenge', () => {
  it('finds the messages (the scan itself works)', () => {
    expect(messages.length).toBeGreaterThan(40)
    expect(messages).toEqual(expect.arrayContaining(['token expired', 'no credentials provided']))
  })

  it.each(messages)('%s', (message) => {
    const challenge = buildChallenge('api', 'invalid_token', { description: message })
    expect(challenge).toContain(`error_description="${message}"`)
  })

  it('an invalid nbf reads the same in the message and in the header', async () => {
    const gate = createAuthenticator({
      issuers: [{ issuer: ISSUER, key: { secret: hmacSecret, encoding: 'utf8' } }],
      clock,
    })
    const token = await signHmac({ claims: { nbf: `${NOW_S}` } })
    const error = await gate
      .authenticate({ headers: { authorization: `Bearer ${token}` } })
      .catch((e: { message: string; headers: Record<string, string> }) => e)
    expect(error).toMatchObject({ message: "invalid 'nbf' claim" })
    expect((error as { headers: Record<string, string> }).headers['WWW-Authenticate']).toContain(
      `error_description="invalid 'nbf' claim"`,
    )
  })

  it('refuses a requirePolicy description the challenge could not carry', () => {
    expect(() => requirePolicy(() => true, 'say "no"')).toThrow(
      expect.objectContaining({ name: 'AuthConfigError', option: 'requirePolicy() description' }),
    )
    expect(() => requirePolicy(() => true, 'tenant mismatch')).not.toThrow()
  })
})
