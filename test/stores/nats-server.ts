/**
 * A nats-server with JetStream of the test file's own, on a free loopback port with a temporary
 * store directory, so a test can stop and restart it without touching the shared server.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect as tcpConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const BINARY = process.env.JWT_GATE_TEST_NATS_SERVER ?? '/usr/sbin/nats-server'

/** A free loopback port (the kernel picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** Resolves once something accepts TCP connections on `port`, polling up to `timeoutMs`. */
async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** One private server; `stop` and `start` keep its port and its JetStream directory. */
export interface NatsTestServer {
  readonly url: string
  start(): Promise<void>
  stop(): Promise<void>
  /** Stops it and removes its directory. */
  dispose(): Promise<void>
}

/** Starts a private nats-server. */
export async function startNatsServer(): Promise<NatsTestServer> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'jwt-gate-nats-'))
  let child: ChildProcess | undefined
  const server: NatsTestServer = {
    url: `nats://127.0.0.1:${port}`,
    async start() {
      const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir]
      child = spawn(BINARY, args, { stdio: 'ignore' })
      await waitForPort(port, 10_000)
    },
    async stop() {
      const running = child
      child = undefined
      if (running === undefined || running.exitCode !== null) return
      const exited = new Promise((resolve) => running.once('exit', resolve))
      running.kill('SIGTERM')
      await exited
    },
    async dispose() {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  await server.start()
  return server
}
