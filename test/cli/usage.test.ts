import { describe, expect, it } from 'vitest'
import { commands } from '../../src/cli/run.js'
import { cli } from './run-cli.js'

const NAMES = ['keygen', 'convert', 'inspect', 'sign', 'check-config']

describe('jwt-gate usage', () => {
  it('has exactly the documented commands', () => {
    expect(commands.map((c) => c.name)).toEqual(NAMES)
  })

  it.each(NAMES)('answers %s --help (and -h) on standard output with exit 0', async (name) => {
    for (const flag of ['--help', '-h']) {
      const result = await cli([name, flag])
      expect(result.code).toBe(0)
      expect(result.stderr).toBe('')
      expect(result.stdout).toMatch(new RegExp(`^Usage: jwt-gate ${name} `))
      expect(result.stdout).toContain('--json')
      expect(result.stdout).toContain('Examples:')
    }
  })

  it('gives --help precedence over otherwise invalid arguments', async () => {
    const result = await cli(['sign', '--bogus', '--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Usage: jwt-gate sign /)
  })

  it.each(NAMES)('exits 2 on an unknown option of %s, pointing to --help', async (name) => {
    const result = await cli([name, '--no-such-option'])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(
      new RegExp(`^jwt-gate ${name}: unknown option "--no-such-option"`),
    )
    expect(result.stderr.endsWith(`\nRun "jwt-gate ${name} --help" for usage.\n`)).toBe(true)
  })

  it('lists the commands for --help and exits 2 without a command', async () => {
    const help = await cli(['--help'])
    expect(help.code).toBe(0)
    for (const name of NAMES) expect(help.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'))
    expect(help.stdout).toContain(
      'Exit codes: 0 ok, 1 rejected token or failed check, 2 usage error.',
    )
    const bare = await cli([])
    expect(bare.code).toBe(2)
    expect(bare.stderr).toBe(help.stdout)
  })

  it('exits 2 on an unknown command', async () => {
    const result = await cli(['verify'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^jwt-gate: unknown command "verify"\n/)
  })

  it('prints the package version', async () => {
    const result = await cli(['--version'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/)
  })
})
