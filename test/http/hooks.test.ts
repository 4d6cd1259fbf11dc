/**
 * Observability hooks never change the outcome of a request, nor the life of the process: a hook
 * that throws, or returns a promise that rejects, is reported once and otherwise ignored.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import request from 'supertest'
import { signHmac } from '../helpers/tokens.js'

const ROOT = join(import.meta.dirname, '..', '..')
const SERVER = join(import.meta.dirname, 'fixtures', 'rejecting-hooks-server.ts')

interface Server {
  child: ChildProcess
  url: string
  stderr(): string
}

const started: ChildProcess[] = []
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL')
})

/** Starts the fixture server as a process of its own and waits until it listens. */
function startServer(): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.push(child)
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${stderr}`)))
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const port = /listening (\d+)/.exec(stdout)?.[1]
      if (port !== undefined)
        resolve({ child, url: `http://127.0.0.1:${port}`, stderr: () => stderr })
    })
  })
}

describe('async hooks that reject', () => {
  it('leave the server up, answering as before, and are reported once', async () => {
    const server = await startServer()
    let exited = false
    server.child.once('exit', () => (exited = true))

    const bad = await request(server.url).get('/protected').set('Authorization', 'Bearer x')
    expect(bad.status).toBe(401)
    expect(bad.body.code).toBe('ERR_AUTH_TOKEN_MALFORMED')

    const good = await request(server.url)
      .get('/protected')
      .set('Authorization', `Bearer ${await signHmac()}`)
    expect({ status: good.status, body: good.body }).toEqual({
      status: 200,
      body: { subject: 'alice' },
    })
    const again = await request(server.url).get('/protected').set('Authorization', 'Bearer x')
    expect(again.status).toBe(401)

    expect(exited).toBe(false)
    expect(server.child.exitCode).toBeNull()
    expect(server.stderr().match(/JWT_GATE_HOOK_FAILED/g)).toHaveLength(1)
    expect(server.stderr()).not.toMatch(/Unhandled|metrics down|audit log down/)
  })
})
