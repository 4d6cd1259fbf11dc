/**
 * Issue 24, "Real components": a fleet of two app instances behind one public origin, sharing a
 * replay store (Redis, then PostgreSQL, both on loopback). Each instance listens on its own port
 * but is configured with the same `publicOrigin`, as behind a load balancer: the gate never reads
 * `Host`, so a proof made for the public URL is judged alike on either. oidc-provider issues the
 * DPoP-bound token to a request whose proof oauth4webapi makes. A proof accepted by one instance
 * is refused by the other; a store that cannot be reached makes both answer 503.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { SignJWT, exportJWK } from 'jose'
import type { JWK } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate, authErrorHandler } from '../../src/index.js'
import type { ReplayStore } from '../../src/index.js'
import { createPostgresReplayStore } from '../../src/stores/postgres/index.js'
import { Redis } from 'ioredis'
import { FAIL_FAST_REDIS_OPTIONS, createRedisReplayStore } from '../../src/stores/redis/index.js'
import { CLIENT_ID, CLIENT_SECRET, startOidcProvider } from '../helpers/oidc-provider.js'
import type { OidcProvider } from '../helpers/oidc-provider.js'
import { rawRequest } from '../helpers/raw-request.js'
import type { RawReply } from '../helpers/raw-request.js'

type KeyPair = Awaited<ReturnType<typeof oauth.generateKeyPair>>
type ClosableStore = ReplayStore & { close(): Promise<void> }

const RESOURCE = 'https://api.example.test/'
/** The fleet's public origin: what clients call and proofs name; no instance listens on it. */
const PUBLIC_ORIGIN = 'https://api.example.test'
const REDIS_URL = 'redis://127.0.0.1:6379'
const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'
/** Nothing listens on port 1 of loopback: a store there cannot be reached. */
const UNREACHABLE_REDIS = 'redis://127.0.0.1:1'
const UNREACHABLE_DATABASE = 'postgres://127.0.0.1:1/test'

/** One instance of the fleet; `runs` counts its protected handler. */
interface Instance {
  port: number
  runs: number
  server: Server
}

async function startInstance(store: ReplayStore): Promise<Instance> {
  const app = express()
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const instance: Instance = { port: (server.address() as AddressInfo).port, runs: 0, server }
  app.use(
    authenticate({
      issuers: [
        { issuer: op.issuer, audience: RESOURCE, typ: ['at+jwt'], key: { discovery: true } },
      ],
      resource: RESOURCE,
      dpop: { mode: 'required', replayStore: store, publicOrigin: PUBLIC_ORIGIN },
    }),
  )
  app.get('/reports', (_req, res) => {
    instance.runs++
    res.json({ ok: true })
  })
  app.use(authErrorHandler())
  return instance
}

/** GET /reports on `instance`'s own port, with the public origin's Host as a balancer keeps it. */
function send(instance: Instance, proofValue: string): Promise<RawReply> {
  return rawRequest(`http://127.0.0.1:${instance.port}/reports`, 'GET', {
    Host: new URL(PUBLIC_ORIGIN).host,
    Authorization: `DPoP ${token}`,
    DPoP: proofValue,
  })
}

let op: OidcProvider
let keys: KeyPair
let publicJwk: JWK
let token: string

/** A DPoP-bound token for `keys`, its token request's proof made by oauth4webapi. */
async function boundToken(): Promise<string> {
  const as = { issuer: op.issuer, token_endpoint: `${op.issuer}/token` }
  const client: oauth.Client = { client_id: CLIENT_ID }
  const options = { DPoP: oauth.DPoP(client, keys), [oauth.allowInsecureRequests]: true }
  const params = { scope: 'reports:read', resource: RESOURCE }
  const auth = oauth.ClientSecretBasic(CLIENT_SECRET)
  const grant = () => oauth.clientCredentialsGrantRequest(as, client, auth, params, options)
  try {
    return (await oauth.processClientCredentialsResponse(as, client, await grant())).access_token
  } catch (error) {
    // The provider may ask for its own nonce first (RFC 9449 §8): one retry.
    if (!oauth.isDPoPNonceError(error)) throw error
    return (await oauth.processClientCredentialsResponse(as, client, await grant())).access_token
  }
}

/** A fresh proof for GET <public origin>/reports. */
function proof(): Promise<string> {
  return new SignJWT({
    htm: 'GET',
    htu: `${PUBLIC_ORIGIN}/reports`,
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    ath: createHash('sha256').update(token).digest('base64url'),
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk })
    .sign(keys.privateKey)
}

beforeAll(async () => {
  op = await startOidcProvider({ resources: [RESOURCE], dpop: true })
  keys = await oauth.generateKeyPair('ES256', { extractable: true })
  publicJwk = await exportJWK(keys.publicKey)
  token = await boundToken()
})
afterAll(async () => {
  await op.close()
})

/** Two instances, each with its own client of one shared store, for the length of a suite. */
function fleet(openStore: () => Promise<ClosableStore>): () => [Instance, Instance] {
  let instances: [Instance, Instance]
  let stores: ClosableStore[] = []
  beforeAll(async () => {
    stores = [await openStore(), await openStore()]
    instances = [await startInstance(stores[0]!), await startInstance(stores[1]!)]
  })
  afterAll(async () => {
    for (const instance of instances) instance.server.close()
    for (const store of stores) await store.close()
  })
  return () => instances
}

/** The fleet's behaviour, whatever the shared store. */
function fleetBehaviour(instances: () => [Instance, Instance]): void {
  it('refuses on one instance a proof the other accepted; a fresh proof passes', async () => {
    const [a, b] = instances()
    const once = await proof()
    const accepted = await send(a, once)
    expect([accepted.status, accepted.body.code, a.runs]).toEqual([200, undefined, 1])

    const replayed = await send(b, once)
    expect([replayed.status, replayed.body.code]).toEqual([401, 'ERR_AUTH_DPOP_REPLAYED'])
    expect(String(replayed.headers['www-authenticate'])).toContain('error="invalid_dpop_proof"')
    expect(b.runs).toBe(0)

    const fresh = await send(b, await proof())
    expect([fresh.status, b.runs]).toEqual([200, 1])
    // Back on the first instance, the second proof is a replay there too.
    const again = await send(a, once)
    expect([again.status, again.body.code, a.runs]).toEqual([401, 'ERR_AUTH_DPOP_REPLAYED', 1])
  })
}

/** A fleet whose store cannot be reached: 503 on every instance, the handler never run. */
function unreachableBehaviour(instances: () => [Instance, Instance]): void {
  it('answers 503 on both instances, never a pass', async () => {
    for (const instance of instances()) {
      const reply = await send(instance, await proof())
      expect(reply.status).toBe(503)
      expect(instance.runs).toBe(0)
    }
  })
}

const runId = randomUUID()

describe('a fleet sharing Redis', () => {
  // Each instance its own fail-fast client, connected before the first request (a fail-fast
  // client refuses commands while it connects).
  const instances = fleet(async () => {
    const client = new Redis(REDIS_URL, { ...FAIL_FAST_REDIS_OPTIONS })
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve)
      client.once('error', reject)
    })
    const store = createRedisReplayStore({ redis: client, prefix: `jwt-gate-test:fleet:${runId}:` })
    return {
      remember: (key, expiresAt) => store.remember(key, expiresAt),
      close: async () => void (await client.quit()),
    }
  })
  fleetBehaviour(instances)
})

describe('a fleet sharing PostgreSQL', () => {
  const table = `fleet_replay_${runId.replaceAll('-', '').slice(0, 16)}`
  const instances = fleet(() =>
    Promise.resolve(
      createPostgresReplayStore({ connectionString: DATABASE_URL, table, migrate: true }),
    ),
  )
  fleetBehaviour(instances)
  afterAll(async () => {
    const pg = (await import('pg')).default
    const pool = new pg.Pool({ connectionString: DATABASE_URL })
    await pool.query(`DROP TABLE IF EXISTS "${table}"`)
    await pool.end()
  })
})

describe('a fleet whose Redis cannot be reached', () => {
  unreachableBehaviour(
    fleet(() => Promise.resolve(createRedisReplayStore({ redis: UNREACHABLE_REDIS }))),
  )
})

describe('a fleet whose PostgreSQL cannot be reached', () => {
  unreachableBehaviour(
    fleet(() =>
      Promise.resolve(createPostgresReplayStore({ connectionString: UNREACHABLE_DATABASE })),
    ),
  )
})
