/**
 * Runs the CLI in-process with captured output, a fixed clock and a given environment, the way
 * tests exercise every command without spawning a process per case.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../../src/cli/run.js'

/** The fixed "now" of the CLI tests. */
export const NOW = new Date('2026-03-01T12:00:00.000Z')
/** {@link NOW} in seconds, for claims. */
export const NOW_S = Math.floor(NOW.getTime() / 1000)

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export interface CliRunOptions {
  env?: Record<string, string | undefined>
  stdin?: string
  cwd?: string
  now?: Date
}

/** `jwt-gate ...argv` in-process. */
export async function cli(argv: string[], options: CliRunOptions = {}): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdout: (chunk) => void (stdout += chunk),
    stderr: (chunk) => void (stderr += chunk),
    readStdin: () => Promise.resolve(options.stdin ?? ''),
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    now: () => options.now ?? NOW,
  })
  return { code, stdout, stderr }
}

const ROOT = join(import.meta.dirname, '..', '..')
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx')
/** The binary's entry point, run through tsx as `npx jwt-gate` runs the built file. */
export const MAIN = join(ROOT, 'src', 'cli', 'main.ts')

/**
 * `jwt-gate ...argv` in a child process: the real entry point, exit code and standard error,
 * including anything Node itself prints there (process warnings). Slower than {@link cli}; for
 * what only a real process shows.
 */
export function cliProcess(
  argv: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(TSX, [MAIN, ...argv], {
    input: options.input,
    encoding: 'utf8',
    timeout: 15_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** A temporary directory, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'jwt-gate-cli-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}
