/**
 * A loopback JWKS endpoint whose answer the test controls: the key set, an outage (500), a hang,
 * or garbage. It counts the requests it receives.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JSONWebKeySet } from 'jose'

export type JwksBehaviour = 'ok' | 'error' | 'hang' | 'garbage'

export interface JwksServer {
  url: string
  hits(): number
  setKeys(jwks: JSONWebKeySet): void
  setBehaviour(behaviour: JwksBehaviour): void
  close(): Promise<void>
}

export async function startJwksServer(initial: JSONWebKeySet): Promise<JwksServer> {
  let jwks = initial
  let behaviour: JwksBehaviour = 'ok'
  let hits = 0
  const server = createServer((_req, res) => {
    hits++
    if (behaviour === 'hang') return
    if (behaviour === 'error') {
      res.writeHead(500).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(behaviour === 'garbage' ? '{"keys": nope' : JSON.stringify(jwks))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    hits: () => hits,
    setKeys: (next) => {
      jwks = next
    },
    setBehaviour: (next) => {
      behaviour = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
