/**
 * The API report: every name each package entry point exports (package.json `exports`), with its
 * declared signature, written to api/jwt-gate.api.md. A change of the public surface then shows in
 * review as a change of that file.
 *
 *   npm run api:report   rewrites the report
 *   npm run api:check    fails when the committed report differs from the code (CI runs it)
 *
 * Built on the TypeScript compiler rather than api-extractor (not a dependency): the declarations
 * are emitted in memory, as `npm run build` writes them, and each export is printed from them
 * without its comments, then formatted by Prettier so that the output is stable.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import prettier from 'prettier'
import ts from 'typescript'

const ROOT = path.resolve(import.meta.dirname, '..')
const REPORT = path.join(ROOT, 'api/jwt-gate.api.md')

interface EntryPoint {
  /** The specifier a user imports: `jwt-gate`, `jwt-gate/stores/memory`, ... */
  specifier: string
  /** The emitted declaration file package.json points it at. */
  declarationFile: string
}

interface PackageJson {
  name: string
  exports: Record<string, string | { types?: string }>
}

function entryPoints(): EntryPoint[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson
  return Object.entries(pkg.exports).flatMap(([subpath, target]) =>
    typeof target === 'object' && target.types !== undefined
      ? [
          {
            specifier: path.posix.join(pkg.name, subpath),
            declarationFile: path.join(ROOT, target.types),
          },
        ]
      : [],
  )
}

function fail(diagnostics: readonly ts.Diagnostic[]): never {
  const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => ROOT }
  throw new Error(ts.formatDiagnostics(diagnostics, { ...host, getNewLine: () => '\n' }))
}

/** The declaration files of the build (tsconfig.build.json), in memory, by absolute path. */
function emitDeclarations(): { files: Map<string, string>; options: ts.CompilerOptions } {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => fail([diagnostic]),
    },
  )
  if (parsed === undefined) throw new Error('tsconfig.build.json could not be read')
  const options = { ...parsed.options, noEmit: false, declaration: true, emitDeclarationOnly: true }
  const program = ts.createProgram(parsed.fileNames, options)
  const files = new Map<string, string>()
  const write = (file: string, text: string): void => void files.set(path.resolve(file), text)
  const { diagnostics } = program.emit(undefined, write, undefined, true)
  if (diagnostics.length > 0) fail(diagnostics)
  return { files, options }
}

/** A program over the emitted declarations, which win over any stale `dist/` on disk. */
function declarationProgram(roots: string[]): ts.Program {
  const { files, options } = emitDeclarations()
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  host.fileExists = (file) => files.has(path.resolve(file)) || ts.sys.fileExists(file)
  host.readFile = (file) => files.get(path.resolve(file)) ?? ts.sys.readFile(file)
  const folders = new Set([...files.keys()].map((file) => path.dirname(file)))
  host.directoryExists = (folder) =>
    folders.has(path.resolve(folder)) || ts.sys.directoryExists(folder)
  host.getSourceFile = (file, language, ...rest) => {
    const text = files.get(path.resolve(file))
    return text === undefined
      ? getSourceFile(file, language, ...rest)
      : ts.createSourceFile(file, text, language)
  }
  return ts.createProgram(roots, { ...options, noEmit: true }, host)
}

/** The statement that declares `node` (a `const` is declared by its whole variable statement). */
function statementOf(node: ts.Declaration): ts.Node {
  return ts.isVariableDeclaration(node) ? node.parent.parent : node
}

/** `export declare function name(...)`, and so on, for each name `entry` exports, sorted. */
function describeEntry(program: ts.Program, entry: EntryPoint): string[] {
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(entry.declarationFile)
  const moduleSymbol = source && checker.getSymbolAtLocation(source)
  if (moduleSymbol === undefined) throw new Error(`${entry.declarationFile} was not emitted`)
  const printer = ts.createPrinter({ removeComments: true })
  return checker
    .getExportsOfModule(moduleSymbol)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((exported) => {
      const declared =
        exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      const renamed = declared.name === exported.name ? '' : `// exported as ${exported.name}\n`
      const printed = (declared.declarations ?? []).map((node) =>
        printer.printNode(ts.EmitHint.Unspecified, statementOf(node), node.getSourceFile()),
      )
      return renamed + printed.join('\n')
    })
}

async function report(): Promise<string> {
  const entries = entryPoints()
  const program = declarationProgram(entries.map((entry) => entry.declarationFile))
  const sections = entries.map((entry) => {
    const declarations = describeEntry(program, entry)
    const count = `${declarations.length} export${declarations.length === 1 ? '' : 's'}`
    return `## \`${entry.specifier}\` (${count})\n\n\`\`\`ts\n${declarations.join('\n\n')}\n\`\`\`\n`
  })
  const text = [
    '# API report: jwt-gate\n',
    'Every name each entry point of package.json `exports` exports, with its declaration. Written',
    'by `npm run api:report` (scripts/api-report.ts); `npm run api:check` in CI fails when it',
    'differs from the code, so a change of the public API shows here in review.\n',
    ...sections,
  ].join('\n')
  const config = await prettier.resolveConfig(REPORT)
  return prettier.format(text, { ...config, filepath: REPORT })
}

/** Lines present in one text and not the other, for the failure message. */
function changedLines(before: string, after: string): string[] {
  const old = new Set(before.split('\n'))
  const fresh = new Set(after.split('\n'))
  return [
    ...[...old].filter((line) => !fresh.has(line)).map((line) => `- ${line}`),
    ...[...fresh].filter((line) => !old.has(line)).map((line) => `+ ${line}`),
  ]
}

const fresh = await report()
if (process.argv.includes('--check')) {
  let committed = ''
  try {
    committed = readFileSync(REPORT, 'utf8')
  } catch {
    // A missing report differs like any other.
  }
  if (committed !== fresh) {
    console.error(changedLines(committed, fresh).slice(0, 40).join('\n'))
    console.error(
      '\napi/jwt-gate.api.md is out of date: the public API changed (lines above). ' +
        'Run `npm run api:report`, review the difference and commit it.',
    )
    process.exit(1)
  }
  console.log('api/jwt-gate.api.md matches the code')
} else {
  mkdirSync(path.dirname(REPORT), { recursive: true })
  writeFileSync(REPORT, fresh)
  console.log(`wrote ${path.relative(ROOT, REPORT)}`)
}
