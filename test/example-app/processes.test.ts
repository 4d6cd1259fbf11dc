/**
 * The runnable entry points as real processes: the launcher (`npm start`) and the two programs'
 * start-up refusal of a bad configuration.
 */
import { spawn } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openAuthUserDb } from '../../example-app/auth-api/user-db.js'
import { verifyPassword } from '../../example-app/auth-api/password.js'
import { tempDir } from './helpers.js'

const ROOT = join(import.meta.dirname, '..', '..')

interface Run {
  stdout: string
  stderr: string
  exit: Promise<number | null>
  kill(signal: NodeJS.Signals): void
  waitFor(text: string, ms: number): Promise<void>
}

function run(script: string, env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const result: Run = {
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    kill: (signal) => child.kill(signal),
    async waitFor(text, ms) {
      const deadline = Date.now() + ms
      while (!result.stdout.includes(text)) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`did not print "${text}":\n${result.stdout}\n${result.stderr}`)
        }
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
  }
  child.stdout.on('data', (chunk: Buffer) => (result.stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (result.stderr += chunk.toString()))
  running.push(result)
  return result
}

const running: Run[] = []
afterEach(() => {
  for (const r of running.splice(0)) r.kill('SIGKILL')
})

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })
}

describe('npm start (example-app/start.ts)', () => {
  // Three Node processes compiling TypeScript at start: allow for a loaded CI machine.
  it(
    'prints the URLs and passwords, serves the whole flow, and stops both programs on SIGINT',
    { timeout: 60_000 },
    async () => {
      const data = tempDir()
      try {
        const [authPort, appPort] = [await freePort(), await freePort()]
        const launcher = run('example-app/start.ts', {
          EXAMPLE_DATA_DIR: data.dir,
          AUTH_PORT: String(authPort),
          APP_PORT: String(appPort),
          // Ignored: the launcher owns the programs' configuration.
          JWT_SECRET: 'x'.repeat(40),
        })
        await launcher.waitFor('Press Ctrl-C', 45_000)
        const passwords = JSON.parse(readFileSync(join(data.dir, 'demo-passwords.json'), 'utf8'))
        expect(launcher.stdout).toContain(`Protected app:  http://127.0.0.1:${appPort}/`)
        expect(launcher.stdout).toContain(`AuthAPI login:  http://127.0.0.1:${authPort}/login`)
        expect(launcher.stdout).toMatch(new RegExp(`alice\\s+${passwords.alice}\\s+user`))
        expect(launcher.stdout).toMatch(new RegExp(`admin\\s+${passwords.admin}\\s+admin, user`))
        expect(statSync(join(data.dir, 'auth-private-key.pem')).mode & 0o777).toBe(0o600)

        const login = await fetch(`http://127.0.0.1:${authPort}/api/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: passwords.admin }),
        })
        expect(login.status).toBe(200)
        const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
        const me = await fetch(`http://127.0.0.1:${appPort}/api/admin`, { headers: { cookie } })
        expect(me.status).toBe(200)
        expect(await me.json()).toEqual({ sub: 'admin', admin: true })

        launcher.kill('SIGINT')
        expect(await launcher.exit).toBe(0)
        expect(launcher.stdout).toContain('start: stopping both programs')
        expect(await refuses(authPort)).toBe(true)
        expect(await refuses(appPort)).toBe(true)
      } finally {
        data.remove()
      }
    },
  )
})

describe('configuration errors stop the programs at start', () => {
  it('app: names the variable and exits with 1', async () => {
    const app = run('example-app/app/main.ts', { JWT_PUBLIC_KEY: 'not-a-key', JWT_ISSUER: 'x' })
    expect(await app.exit).toBe(1)
    expect(app.stderr).toBe(
      'app: invalid configuration: JWT_PUBLIC_KEY: must be standard base64 of a raw 32-byte Ed25519 public key\n',
    )
  })

  it('app: names the variable behind a jwt-gate option error (an algorithm that does not fit the key)', async () => {
    const app = run('example-app/app/main.ts', {
      JWT_ISSUER: 'x',
      JWT_PUBLIC_KEY: Buffer.alloc(32, 7).toString('base64'),
      JWT_ALGORITHMS: 'HS256',
    })
    expect(await app.exit).toBe(1)
    expect(app.stderr).toMatch(
      /^app: invalid configuration: JWT_ALGORITHMS: jwt-gate: invalid option "issuers\[0\]\.algorithms": .+\n$/,
    )
  })

  it('auth-api: names the variable and exits with 1', async () => {
    const api = run('example-app/auth-api/main.ts', { AUTH_USERS_DB: '/tmp/x.sqlite' })
    expect(await api.exit).toBe(1)
    expect(api.stderr).toBe(
      'auth-api: invalid configuration: AUTH_PRIVATE_KEY_FILE: required (or JWT_PRIVATE_KEY)\n',
    )
  })
})

describe('add-user.ts', () => {
  it('stores a user with the password from stdin, hashed', async () => {
    const data = tempDir()
    try {
      const file = join(data.dir, 'users.sqlite')
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'example-app/auth-api/add-user.ts', 'bob', 'user, admin', 'Bob B'],
        {
          cwd: ROOT,
          env: { PATH: process.env['PATH'] ?? '', AUTH_USERS_DB: file },
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      )
      let stdout = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stdin.end('a-long-password\n')
      expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0)
      expect(stdout).toBe('add-user: bob saved with roles user, admin\n')
      const db = openAuthUserDb(file)
      try {
        const bob = db.findUser('bob')
        expect(bob).toMatchObject({
          username: 'bob',
          roles: ['user', 'admin'],
          name: 'Bob B',
          disabled: false,
        })
        expect(bob?.passwordHash).toMatch(/^scrypt\$/)
        expect(await verifyPassword('a-long-password', bob!.passwordHash)).toBe(true)
      } finally {
        db.close()
      }
    } finally {
      data.remove()
    }
  })
})
