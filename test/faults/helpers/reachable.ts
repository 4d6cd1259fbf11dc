/**
 * Whether a local service accepts TCP connections. Suites needing PostgreSQL or Redis skip when it
 * does not, except in CI (`CI=true`), where a missing service must fail the run instead.
 */
import { connect } from 'node:net'

/** Resolves true when `127.0.0.1:port` accepts a connection within `ms`. */
export function reachable(port: number, ms = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(ms, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** True when the suite should be skipped: the service is down and this is not CI. */
export async function skipWithout(name: string, port: number): Promise<boolean> {
  if (await reachable(port)) return false
  if (process.env.CI === 'true') return false
  console.warn(`skipping the ${name} fault tests: nothing listens on 127.0.0.1:${port}`)
  return true
}
