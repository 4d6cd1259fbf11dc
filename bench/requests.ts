/**
 * What the runner sends a server: the check before load, and each slice's requests (one repeated
 * bearer token, or for a DPoP server the bound token with a pool of fresh proofs).
 */
import type { Options } from 'autocannon'
import { dpopHeaders, makeProof, proofPool } from './dpop.js'
import type { DpopClient } from './dpop.js'
import type { Server } from './process.js'

/** The credentials of one algorithm: a bearer token, and the DPoP client with its bound token. */
export interface Credentials {
  token: string
  dpop: DpopClient
}

const isDpop = (server: Server): boolean => 'dpop' in server.spec

/** autocannon's options for a slice of `seconds`, and the cap on its requests (50,000 a second). */
export function load(
  server: Server,
  creds: Credentials,
  seconds: number,
  connections: number,
): { cap: number; options: Partial<Options> } {
  if (isDpop(server)) return proofPool(creds.dpop, `${server.url}/`, seconds, connections)
  const headers = { authorization: `Bearer ${creds.token}` }
  return { cap: Math.ceil(seconds * 50_000), options: { headers } }
}

/** Fails unless the server accepts the token and refuses a request without one. */
export async function check(server: Server, { token, dpop }: Credentials): Promise<void> {
  if (isDpop(server)) return checkDpop(server, dpop)
  const ok = await fetch(`${server.url}/`, { headers: { authorization: `Bearer ${token}` } })
  const none = await fetch(`${server.url}/`)
  await Promise.all([ok.text(), none.text()])
  const expected = server.spec.file === 'bare' ? 200 : 401
  if (ok.status !== 200 || none.status !== expected) {
    throw new Error(`${server.spec.name}: ${ok.status} with the token, ${none.status} without`)
  }
  if ('variant' in server.spec && server.spec.variant === 'resource')
    await checkMetadata(server, none)
}

/**
 * A DPoP server accepts a fresh proof, refuses the bound token as Bearer and a request without
 * credentials; jwt-gate also refuses the same proof twice (the peer keeps no replay store).
 */
async function checkDpop(server: Server, client: DpopClient): Promise<void> {
  const send = (headers: Record<string, string>) =>
    fetch(`${server.url}/`, { headers }).then(async (r) => (await r.text(), r.status))
  const proofHeaders = dpopHeaders(client, makeProof(client, `${server.url}/`))
  const statuses = [
    await send(proofHeaders),
    await send({ authorization: `Bearer ${client.token}` }),
    await send({}),
    await send(proofHeaders),
  ]
  // The peer answers 400 to a Bearer request in its required mode; it remembers no proof.
  const expected = server.spec.file === 'jwt-gate' ? '200,401,401,401' : '200,400,401,200'
  if (statuses.join() !== expected) {
    throw new Error(`${server.spec.name}: DPoP, Bearer, none, replay answered ${statuses.join()}`)
  }
}

/** The `resource` variant serves its metadata and names it in challenges (else it measures nothing). */
async function checkMetadata(server: Server, refused: Response): Promise<void> {
  const document = await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp`)
  const body = (await document.json()) as { resource?: string }
  const challenge = refused.headers.get('www-authenticate') ?? ''
  if (body.resource === undefined || !challenge.includes('resource_metadata=')) {
    throw new Error(`${server.spec.name}: no protected-resource metadata`)
  }
}
