/**
 * The README and the docs it links to keep working where people read them (issue 22, point 6):
 * every relative link and `#anchor` in the shipped Markdown resolves, every relative link points
 * at a file the npm package ships (so it works from `node_modules`, not only on the repository's
 * web page), links to the repository name files that exist, and the README stays short and
 * readable in a terminal.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  files: string[]
  repository: { url: string }
}
/** `https://github.com/owner/name`, from package.json's `repository`. */
const repoUrl = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')

const docs = readdirSync(join(root, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`)
/** Every Markdown file the package ships, each checked. */
const markdown = ['README.md', 'CHANGELOG.md', 'SECURITY.md', ...docs]

/** The lines of a Markdown file outside fenced code blocks, with their 1-based numbers. */
function prose(text: string): { line: string; number: number }[] {
  const out: { line: string; number: number }[] = []
  let fence: string | undefined
  text.split('\n').forEach((line, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence === undefined && marker !== undefined) fence = marker[0]
    else if (fence !== undefined && marker?.[0] === fence) fence = undefined
    else if (fence === undefined) out.push({ line, number: index + 1 })
  })
  return out
}

/** GitHub's heading anchors (github-slugger): lower case, punctuation dropped, spaces to `-`. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>()
  const anchors = new Set<string>()
  for (const { line } of prose(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1]
    if (heading === undefined) continue
    const plain = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '')
    const base = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-')
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  return anchors
}

/** Inline links and images outside code: `[text](target)` and `![alt](target)`. */
function linksOf(text: string): { target: string; number: number }[] {
  const links: { target: string; number: number }[] = []
  for (const { line, number } of prose(text)) {
    const withoutCode = line.replace(/`[^`]*`/g, '')
    for (const match of withoutCode.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ target: match[1]!, number })
    }
  }
  return links
}

/** Whether the npm package ships `path` (relative to the root): `files`, plus npm's own list. */
function shipped(path: string): boolean {
  if (['package.json', 'README.md', 'LICENSE'].includes(path)) return true
  return pkg.files.some((entry) => {
    const pattern = new RegExp(
      `^${entry.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`,
    )
    return pattern.test(path)
  })
}

const read = (file: string) => readFileSync(join(root, file), 'utf8')

describe('links in the shipped Markdown', () => {
  it('the docs folder has the guides the README links to', () => {
    for (const name of ['options', 'errors', 'stores', 'security', 'migration', 'cli']) {
      expect(docs).toContain(`docs/${name}.md`)
    }
  })

  it.each(markdown)(
    '%s: relative links and anchors resolve, to files the package ships',
    (file) => {
      const text = read(file)
      const problems: string[] = []
      for (const { target, number } of linksOf(text)) {
        const where = `${file}:${number} ${target}`
        if (target.startsWith(`${repoUrl}/blob/`) || target.startsWith(`${repoUrl}/tree/`)) {
          // A link into the repository for what the package does not ship: the path must exist.
          const path = target.slice(repoUrl.length).split('/').slice(3).join('/').split('#')[0]!
          if (!existsSync(join(root, path)))
            problems.push(`${where}: no such file in the repository`)
          continue
        }
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // another site, or mailto:
        const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined]
        const resolved =
          pathPart === '' ? file : posix.normalize(posix.join(posix.dirname(file), pathPart))
        const absolute = join(root, resolved)
        if (resolved.startsWith('..') || !existsSync(absolute)) {
          problems.push(`${where}: ${resolved} does not exist`)
          continue
        }
        const isFile = statSync(absolute).isFile()
        if (!shipped(resolved) || (!isFile && !shipped(`${resolved}/`))) {
          problems.push(`${where}: ${resolved} is not in the npm package (package.json "files")`)
        }
        if (anchor !== undefined && anchor !== '') {
          if (!isFile || !resolved.endsWith('.md')) {
            problems.push(`${where}: an anchor into something that is not Markdown`)
          } else if (!anchorsOf(read(resolved)).has(anchor)) {
            problems.push(`${where}: ${resolved} has no heading for #${anchor}`)
          }
        }
      }
      expect(problems).toEqual([])
    },
  )

  it('the link checker itself: slugs, code blocks and the package list', () => {
    expect(anchorsOf('# What lands on `req.auth`\n## Module format: ESM, CommonJS\n')).toEqual(
      new Set(['what-lands-on-reqauth', 'module-format-esm-commonjs']),
    )
    expect(anchorsOf('# A\n# A\n```sh\n# not a heading\n```\n')).toEqual(new Set(['a', 'a-1']))
    expect(linksOf('[a](b.md) `[c](d.md)`\n```\n[e](f.md)\n```\n![g](h.png "t")')).toEqual([
      { target: 'b.md', number: 1 },
      { target: 'h.png', number: 5 },
    ])
    expect(shipped('docs/options.md')).toBe(true)
    expect(shipped('docs/api/index.html')).toBe(false)
    expect(shipped('example-app/start.ts')).toBe(false)
  })
})

describe('the README stays a README', () => {
  const readme = read('README.md')

  it('is at most 20 KB', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(20 * 1024)
  })

  it('has no line wider than 100 characters outside tables', () => {
    const wide = readme
      .split('\n')
      .map((line, index) => ({ line, number: index + 1 }))
      .filter(({ line }) => !line.startsWith('|') && line.length > 100)
    expect(wide).toEqual([])
  })

  it("gives the repository's own two commands, below the library user's path", () => {
    const install = readme.indexOf('npm install jwt-gate')
    expect(install).toBeGreaterThan(-1)
    expect(readme.indexOf('npm install && npm start')).toBeGreaterThan(install)
    expect(readme.indexOf('npm test')).toBeGreaterThan(install)
  })

  it('names every request-time error code of docs/errors.md', () => {
    const table = read('docs/errors.md')
      .split('\n')
      .filter((line) => line.startsWith('| `ERR_AUTH_'))
    const codes = table.map((line) => /`(ERR_AUTH_[A-Z_]+)`/.exec(line)![1]!)
    expect(codes.length).toBeGreaterThan(20)
    for (const code of codes) expect(readme, code).toContain(`| \`${code}\``)
  })
})
