/**
 * Issue 21, point 24: every duration option says its unit and default, in the TSDoc of
 * src/options/types.ts (and the type files it re-exports) (what editors show) and in the option tables of docs/options.md (the README
 * links there).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

/** The option types: `types.ts` and the files it re-exports from. */
const options = ['types.ts', 'check-types.ts', 'tenant-types.ts']
  .map((file) => readFileSync(new URL(`../../src/options/${file}`, import.meta.url), 'utf8'))
  .join('\n')
const reference = readFileSync(new URL('../../docs/options.md', import.meta.url), 'utf8')

/** The TSDoc block right above `name?: number` inside `interface owner`. */
function tsdocOf(owner: string, name: string): string {
  const body = options.slice(options.indexOf(`export interface ${owner} {`))
  const member = body.indexOf(`  ${name}?: number`)
  expect(member, `${owner}.${name}`).toBeGreaterThan(0)
  const block = body.slice(0, member)
  return block.slice(block.lastIndexOf('/**'))
}

describe('duration options state unit and default in their TSDoc', () => {
  const durations: [string, string, RegExp, RegExp][] = [
    ['RemoteFetchOptions', 'timeout', /\bms\b/, /@defaultValue 5000 \(5 s\)/],
    ['RemoteFetchOptions', 'cooldown', /\bms\b/, /@defaultValue 30000 \(30 s\)/],
    ['RemoteFetchOptions', 'cacheMaxAge', /\bms\b/, /@defaultValue 600000 \(10 min\)/],
    ['RemoteFetchOptions', 'cacheMinAge', /\bms\b/, /@defaultValue 60000 \(1 min\)/],
    ['RemoteFetchOptions', 'staleIfError', /\bms\b/, /@defaultValue 3600000 \(1 h\)/],
    ['IssuerOptions', 'clockTolerance', /\bseconds\b.*at most 300/s, /@defaultValue 5\b/],
    ['IssuerOptions', 'maxTokenAge', /\bseconds\b/, /@defaultValue none/],
    ['UserCheckOptions', 'timeout', /\bms\b.*at most 60000/s, /@defaultValue 3000 \(3 s\)/],
    ['RevocationOptions', 'timeout', /\bms\b.*at most 60000/s, /@defaultValue 3000 \(3 s\)/],
    ['VerifiedCacheOptions', 'ttl', /\bseconds\b/, /@defaultValue 300 \(5 min\)/],
    ['IssuerResolverOptions', 'ttl', /\bseconds\b/, /@defaultValue 600 \(10 min\)/],
    ['IssuerResolverOptions', 'timeout', /\bms\b.*at most 60000/s, /@defaultValue 3000 \(3 s\)/],
  ]
  it.each(durations)('%s.%s', (owner, name, unit, fallback) => {
    const doc = tsdocOf(owner, name)
    expect(doc).toMatch(unit)
    expect(doc).toMatch(fallback)
  })
})

describe('the tables of docs/options.md state the units', () => {
  const row = (name: string) =>
    reference.split('\n').find((line) => line.startsWith(`| \`${name}\``))
  it.each([
    ['clockTolerance', /`5` \(seconds\).*at most 300/],
    ['maxTokenAge', /seconds/],
    ['cache', /ttl: 300 }`.*`ttl` in seconds/],
    ['users', /`timeout` in ms, 3000/],
    ['revocation', /`timeout` in ms, 3000/],
  ])('%s', (name, text) => {
    expect(row(name)).toMatch(text)
  })

  it('the remote JWKS row', () => {
    const jwks = reference.split('\n').find((line) => line.startsWith('| `{ jwksUrl'))
    expect(jwks).toMatch(/all durations in ms/)
    for (const name of ['timeout', 'cooldown', 'cacheMaxAge', 'cacheMinAge', 'staleIfError']) {
      expect(jwks).toContain(`\`${name}\``)
    }
    expect(jwks).toMatch(/`timeout` 5 s, `cooldown` 30 s, `cacheMaxAge` 10 min, `staleIfError` 1 h/)
  })
})
