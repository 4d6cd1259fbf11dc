/**
 * The servers of `bench/servers/` as child processes: which rows exist, how each is started
 * (pinned to CPU 0 when `taskset` exists; the runner, the load generator, to CPU 1), stopped, and
 * asked for its own CPU time.
 */
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { BenchAlgorithm } from './fixture.js'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The servers of `bench/servers/`, in the order of the table. */
export const SERVERS = [
  { name: 'bare Express', file: 'bare' },
  { name: 'jwt-gate', file: 'jwt-gate' },
  { name: 'jwt-gate, cache: false', file: 'jwt-gate', variant: 'cache-off' },
  { name: 'jwt-gate, resource', file: 'jwt-gate', variant: 'resource' },
  { name: 'jose, hand-written', file: 'jose' },
  { name: 'express-jwt', file: 'express-jwt', eddsa: false },
  { name: 'passport-jwt', file: 'passport-jwt', eddsa: false },
  { name: 'express-oauth2-jwt-bearer', file: 'oauth2-bearer' },
  // DPoP (bench/dpop.ts): a bound token and a fresh proof per request, never one sent twice.
  { name: 'jwt-gate, DPoP', file: 'jwt-gate', variant: 'dpop', dpop: true },
  { name: 'jwt-gate, DPoP, cache: false', file: 'jwt-gate', variant: 'dpop-cache-off', dpop: true },
  { name: 'express-oauth2-jwt-bearer, DPoP', file: 'oauth2-bearer', variant: 'dpop', dpop: true },
] as const
export type ServerSpec = (typeof SERVERS)[number]

/** A running server process. */
export type Server = Awaited<ReturnType<typeof start>>

const START_TIMEOUT_MS = 30_000

export const PINNING = (() => {
  if (process.platform !== 'linux' || availableParallelism() < 2) return false
  try {
    execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

/** Resolves to the port the child announces (`listening <port>`), or fails with its output. */
function announcedPort(spec: ServerSpec, child: ChildProcess): Promise<number> {
  let output = ''
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${spec.name}: not listening`)),
      START_TIMEOUT_MS,
    )
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000)
      const match = /listening (\d+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${spec.name} exited with ${code}:\n${output}`))
    })
  })
}

/** Starts the server of `spec` for `alg`; resolves once it listens. */
export async function start(spec: ServerSpec, alg: BenchAlgorithm, fixtureFile: string) {
  const script = ['--import', 'tsx', `bench/servers/${spec.file}.ts`]
  const [command, argv] = PINNING
    ? ['taskset', ['-c', '0', process.execPath, ...script]]
    : [process.execPath, script]
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      BENCH_FIXTURE: fixtureFile,
      BENCH_ALG: alg,
      BENCH_VARIANT: 'variant' in spec ? spec.variant : '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  return { spec, url: `http://127.0.0.1:${await announcedPort(spec, child)}`, child }
}

export async function stop(server: Server): Promise<void> {
  const { child } = server
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  children.delete(child)
}

/** The server's own CPU time (user + system, µs), from its `GET /__cpu`. */
export async function cpuMicros(server: Server): Promise<number> {
  const usage = (await (await fetch(`${server.url}/__cpu`)).json()) as NodeJS.CpuUsage
  return usage.user + usage.system
}
