/**
 * `npm start`: the whole demo on embedded defaults. Creates the development key pair and the
 * demo users once (in `example-app/.data/`), starts the AuthAPI and the protected app as child
 * processes, prints the URLs and passwords, and stops both on Ctrl-C.
 *
 * Overridable for tests and port clashes: `EXAMPLE_DATA_DIR`, `EXAMPLE_HOST`, `AUTH_PORT`,
 * `APP_PORT`.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ensureDevSetup } from './dev-setup.js'
import { ConfigError, readPort, readString } from './shared/env.js'

const here = dirname(fileURLToPath(import.meta.url))
const ISSUER = 'jwt-gate-example-auth-api'

// Variables the two programs read: never inherited from the shell, so that a stray JWT_SECRET
// or PORT cannot change the demo.
const OWN_VARIABLES =
  /^(JWT_|AUTH_|CROSS_LOGIN_|USERS_|DPOP_|APP_PUBLIC_URL$|DATABASE_URL$|REDIS_URL$|CONFIG_FILE$|PORT$|HOST$)/

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !OWN_VARIABLES.test(name)),
  )
  return { ...env, ...extra }
}

interface Child {
  name: string
  process: ChildProcess
  ready: Promise<void>
}

function startChild(name: string, script: string, env: NodeJS.ProcessEnv): Child {
  // Same Node, same flags: under tsx they carry its TypeScript loader.
  const child = spawn(process.execPath, [...process.execArgv, script], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const ready = new Promise<void>((resolveReady, rejectReady) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      console.log(`[${name}] ${line}`)
      if (line.includes('listening on')) resolveReady()
    })
    createInterface({ input: child.stderr }).on('line', (line) =>
      console.error(`[${name}] ${line}`),
    )
    child.once('exit', (code) =>
      rejectReady(new Error(`${name} exited with code ${code ?? 'null'}`)),
    )
  })
  return { name, process: child, ready }
}

function stopAll(children: readonly Child[]): Promise<void> {
  return Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolveStop) => {
          if (child.process.exitCode !== null || child.process.signalCode !== null) {
            resolveStop()
            return
          }
          const timer = setTimeout(() => child.process.kill('SIGKILL'), 5000)
          child.process.once('exit', () => {
            clearTimeout(timer)
            resolveStop()
          })
          child.process.kill('SIGTERM')
        }),
    ),
  ).then(() => undefined)
}

let host: string
let authPort: number
let appPort: number
try {
  host = readString(process.env, 'EXAMPLE_HOST') ?? '127.0.0.1'
  authPort = readPort(process.env, 'AUTH_PORT', 4000)
  appPort = readPort(process.env, 'APP_PORT', 3000)
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(`start: ${err.message}`)
  process.exit(1)
}
const dataDir = resolve(readString(process.env, 'EXAMPLE_DATA_DIR') ?? join(here, '.data'))
const setup = await ensureDevSetup(dataDir)
const authOrigin = `http://${host}:${authPort}`
const appOrigin = `http://${host}:${appPort}`

const children = [
  startChild(
    'auth-api',
    join(here, 'auth-api', 'main.ts'),
    childEnv({
      PORT: String(authPort),
      HOST: host,
      AUTH_ISSUER: ISSUER,
      AUTH_USERS_DB: setup.authUsersDb,
      AUTH_PRIVATE_KEY_FILE: setup.privateKeyFile,
      AUTH_APP_ORIGINS: appOrigin,
      AUTH_DEFAULT_REDIRECT: `${appOrigin}/me`,
    }),
  ),
  startChild(
    'app',
    join(here, 'app', 'main.ts'),
    childEnv({
      PORT: String(appPort),
      HOST: host,
      JWT_ISSUER: ISSUER,
      JWT_PUBLIC_KEY: setup.publicKeyBase64,
      AUTH_LOGIN_URL: `${authOrigin}/login`,
      JWT_VALIDATE_USERS: 'true',
      USERS_DB: setup.appUsersDb,
      USERS_FILE: setup.appUsersFile,
    }),
  ),
]

let stopping = false
async function shutdown(code: number): Promise<never> {
  if (!stopping) console.log('start: stopping both programs')
  stopping = true
  await stopAll(children)
  process.exit(code)
}
process.once('SIGINT', () => void shutdown(0))
process.once('SIGTERM', () => void shutdown(0))
for (const child of children) {
  child.process.once('exit', () => {
    if (!stopping) {
      console.error(`start: ${child.name} stopped unexpectedly; stopping the demo`)
      void shutdown(1)
    }
  })
}

try {
  await Promise.all(children.map((child) => child.ready))
} catch {
  // The exit handler above reports and stops.
  await new Promise(() => undefined)
}

const width = Math.max(...setup.users.map((user) => user.username.length))
console.log(`
jwt-gate example is running (data in ${dataDir}).

  Protected app:  ${appOrigin}/
  AuthAPI login:  ${authOrigin}/login
  JWKS:           ${authOrigin}/.well-known/jwks.json

  Demo users (username / password / roles):
${setup.users.map((user) => `    ${user.username.padEnd(width)}  ${user.password}  ${user.roles.join(', ')}`).join('\n')}

Press Ctrl-C to stop both programs.
`)
