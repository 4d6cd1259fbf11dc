/**
 * jwt-gate as an application runs it: the compiled package in `dist/` (`npm run build`), not the
 * TypeScript sources through tsx, whose esbuild `keepNames` wraps every nested function in a
 * `__name()` call each time it is created: a per-request cost the published code does not have.
 * Types still come from `src/`, so the bench typechecks without a build. `BENCH_DIST` names another
 * build directory (absolute, or relative to the project), to compare two builds side by side.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const DIST = resolve(ROOT, process.env.BENCH_DIST ?? 'dist')

/** Newest modification time of the files under `dir`, in ms (0 when it does not exist). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0
  const entries = readdirSync(dir, { recursive: true }) as string[]
  return Math.max(0, ...entries.map((entry) => statSync(join(dir, entry)).mtimeMs))
}

// Refuses to measure a missing or stale build: the numbers would belong to other code.
const builtAt = newest(DIST)
if (builtAt === 0) throw new Error(`${DIST} is missing: run \`npm run build\` first`)
if (process.env.BENCH_DIST === undefined && newest(join(ROOT, 'src')) > builtAt) {
  throw new Error('dist/ is older than src/: run `npm run build` first')
}

/**
 * Imports a module of the built package, typed as its source.
 *
 * @example `const { authenticate } = await built<typeof IndexModule>('index.js')` (with
 * `import type * as IndexModule from '../src/index.js'`)
 */
export async function built<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(join(DIST, path)).href)) as T
}
