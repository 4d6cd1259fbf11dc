/**
 * Starts one benchmark server as a child process, pinned to CPU 0 with `taskset` when it exists,
 * waits for its `listening <port>` line (bounded), and stops it (SIGTERM, then SIGKILL).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { Scenario } from './scenarios.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 5_000

/** Whether servers and the load generator can sit on separate cores. */
export const PINNING =
  process.platform === 'linux' &&
  availableParallelism() >= 2 &&
  spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0

/** Moves this process (every thread) to CPU 1, so the load generator never shares the server's. */
export function pinLoadGenerator(): void {
  if (PINNING) spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' })
}

/** A running server. */
export interface ServerProcess {
  port: number
  url: string
  /** CPU seconds (user + system) the server has used so far; undefined where /proc is absent. */
  cpuSeconds(): number | undefined
  stop(): Promise<void>
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** utime + stime of a process from /proc/<pid>/stat, in seconds. */
function procCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return undefined
  }
}

/** What to start: a file of `bench/servers/` and its environment. */
export interface ServerSpec {
  file: string
  env: Record<string, string>
  /** Extra `node` flags (`--expose-gc`). */
  nodeArgs?: string[]
}

/** Starts the server and resolves once it listens. */
export async function startServer(spec: ServerSpec): Promise<ServerProcess> {
  const args = [...(spec.nodeArgs ?? []), '--import', 'tsx', `bench/servers/${spec.file}.ts`]
  const command = PINNING ? 'taskset' : process.execPath
  const argv = PINNING ? ['-c', '0', process.execPath, ...args] : args
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${spec.file}: not listening after ${START_TIMEOUT_MS} ms\n${stderr}`))
    }, START_TIMEOUT_MS)
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const match = /listening (\d+)/.exec(stdout)
      if (match !== null) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${spec.file}: exited with ${code} before listening\n${stderr}`))
    })
  })
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    cpuSeconds: () => procCpuSeconds(child.pid),
    stop: () => stopChild(child),
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}

/** Starts the server of a scenario: its file, algorithm, variant, node flags and build over `env`. */
export function startScenarioServer(
  scenario: Scenario,
  env: Record<string, string>,
): Promise<ServerProcess> {
  return startServer({
    file: scenario.server,
    env: {
      ...env,
      ...(scenario.alg === undefined ? {} : { BENCH_ALG: scenario.alg }),
      BENCH_VARIANT: scenario.variant ?? '',
      ...(scenario.dist === undefined ? {} : { BENCH_DIST: scenario.dist }),
    },
    ...(scenario.nodeArgs === undefined ? {} : { nodeArgs: [...scenario.nodeArgs] }),
  })
}
