/**
 * The real entry point in child processes (through tsx, as `npx jwt-gate` runs the built file):
 * arguments, standard input, exit codes and the files on disk, end to end.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../src/index.js'
import { MAIN, cliProcess, tempDir } from './run-cli.js'
import { ISSUER } from '../helpers/tokens.js'

function jwtGate(args: string[], input?: string) {
  return cliProcess(args, input === undefined ? {} : { input })
}

let dir: string
let cleanup: () => Promise<void>
beforeAll(async () => ({ dir, cleanup } = await tempDir()))
afterAll(() => cleanup())

describe('the jwt-gate entry point', () => {
  it('starts with a node shebang', async () => {
    expect((await readFile(MAIN, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node')
  })

  it('runs keygen -> sign -> inspect with real exit codes', async () => {
    const keygen = jwtGate(['keygen', '--out', dir])
    expect(keygen.code).toBe(0)

    const sign = jwtGate([
      'sign',
      '--key',
      join(dir, 'private.pem'),
      '--iss',
      ISSUER,
      '--sub',
      'alice',
    ])
    expect(sign.code).toBe(0)
    const token = sign.stdout.trim()

    // The minted token passes the core, keyed by the JWKS keygen wrote.
    const jwks = JSON.parse(await readFile(join(dir, 'jwks.json'), 'utf8'))
    const gate = createAuthenticator({ issuers: [{ issuer: ISSUER, key: { jwks } }] })
    const auth = await gate.authenticate({ headers: { authorization: `Bearer ${token}` } })
    await gate.close()
    expect(auth?.subject).toBe('alice')

    const pass = jwtGate(['inspect', '--key', join(dir, 'public.pem'), '--issuer', ISSUER], token)
    expect(pass.code).toBe(0)
    expect(pass.stdout).toContain('PASS: verified as subject "alice"')
    expect(pass.stderr).toBe('') // the unchecked audience is a note on stdout, not a warning

    const expired = jwtGate([
      'sign',
      '--key',
      join(dir, 'private.pem'),
      '--iss',
      ISSUER,
      '--sub',
      'a',
      '--exp=-1m',
    ])
    const rejected = jwtGate([
      'inspect',
      expired.stdout.trim(),
      '--key',
      join(dir, 'jwks.json'),
      '--issuer',
      ISSUER,
      '--json',
    ])
    expect(rejected.code).toBe(1)
    expect(JSON.parse(rejected.stdout).verification.code).toBe('ERR_AUTH_TOKEN_EXPIRED')
  })

  it('exits 2 on a usage error and 0 on --help', () => {
    const usage = jwtGate(['convert', '--to', 'der'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('--to must be one of pem, jwk, raw')
    const help = jwtGate(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage: jwt-gate <command>/)
  })
})
