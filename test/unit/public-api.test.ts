/**
 * The package root stays small (issue 22): at most 45 names, types included; a type that can be
 * derived from an exported one (the authenticator's request and readiness report, the revocation
 * query) is not exported. Counted by the TypeScript compiler, since type-only exports do not
 * exist at run time. The full list, with signatures, is api/jwt-gate.api.md (`npm run api:check`
 * in CI).
 */
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url))
const MAX_ROOT_EXPORTS = 45

function rootExports(): string[] {
  const program = ts.createProgram([INDEX], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
  })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(INDEX)
  const moduleSymbol = source && checker.getSymbolAtLocation(source)
  if (moduleSymbol === undefined) throw new Error('src/index.ts has no module symbol')
  return checker.getExportsOfModule(moduleSymbol).map((symbol) => symbol.name)
}

describe('the public API', () => {
  const names = rootExports()

  it(`exports at most ${MAX_ROOT_EXPORTS} names from the package root`, () => {
    expect(names.length).toBeGreaterThan(0)
    expect(names.length).toBeLessThanOrEqual(MAX_ROOT_EXPORTS)
  })

  it('has one guard vocabulary and nothing kept only for the repository tools', () => {
    const leftovers = [
      'hasAllRoles',
      'policy',
      'AuthCheck',
      'decodeStdBase64',
      'algorithmsForKey',
      'HMAC_ALGORITHMS',
      'buildChallenge',
      'extractToken',
    ].filter((name) => names.includes(name))
    expect(leftovers).toEqual([])
    expect(names).toEqual(expect.arrayContaining(['requirePolicy', 'JwtGateError']))
  })

  it('has the step-up guard and its error (RFC 9470), and no logout export: it is a gate method', () => {
    expect(names).toEqual(
      expect.arrayContaining(['requireStepUp', 'InsufficientUserAuthenticationError']),
    )
    expect(names.filter((name) => /logout/i.test(name))).toEqual([])
  })
})
