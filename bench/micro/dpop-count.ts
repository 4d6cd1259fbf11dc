/**
 * Instruction counts of a DPoP request against a bearer request with a fresh token, under
 * callgrind (a shared machine's clock is noise; instructions are not). One candidate per process:
 * `warm + extra` proofs (or requests) are made first in every run, then `warm` calls, then `extra`
 * more; the difference of two runs' totals (extra = 0 and extra = N) over N is one call, warm, and
 * the proofs' making cancels out since both runs make as many.
 *
 *   valgrind --tool=callgrind --callgrind-out-file=OUT node --import tsx \
 *     bench/micro/dpop-count.ts ES256 dpop 1000 0 1000
 *   ... bench/micro/dpop-count.ts ES256 dpop 1000 1000 1000
 *
 * Arguments: algorithm, candidate (`bearer`: cache: false; `dpop`: token cache on; `dpop-nocache`),
 * warm calls, extra calls, and the extra proofs made in every run (the largest `extra` used).
 */
import { generateKeyPairSync } from 'node:crypto'
import type * as IndexModule from '../../src/index.js'
import type * as MemoryModule from '../../src/stores/memory.js'
import { built } from '../built.js'
import { createDpopClient, makeProofs } from '../dpop.js'
import { AUDIENCE, ISSUER, signTokens } from '../fixture.js'
import type { BenchAlgorithm, Fixture } from '../fixture.js'

const [alg = 'ES256', name = 'dpop', warmArg = '1000', extraArg = '0', madeArg = '1000'] =
  process.argv.slice(2)
const [warm, extra, made] = [warmArg, extraArg, madeArg].map((v) => Math.min(Number(v), 20_000))
if (!['ES256', 'EdDSA'].includes(alg) || !['bearer', 'dpop', 'dpop-nocache'].includes(name))
  throw new Error('usage: ES256|EdDSA bearer|dpop|dpop-nocache warm extra made')
if (extra! > made!) throw new Error('extra must not exceed made')

const { createAuthenticator } = await built<typeof IndexModule>('index.js')
const { createMemoryReplayStore } = await built<typeof MemoryModule>('stores/memory.js')
// Only this algorithm's key (not createFixture's RSA key, whose prime search varies by millions
// of instructions from run to run).
const bench = alg as BenchAlgorithm
const pair =
  bench === 'EdDSA'
    ? generateKeyPairSync('ed25519')
    : generateKeyPairSync('ec', { namedCurve: 'P-256' })
const fixture = { signers: { [bench]: pair.privateKey } } as unknown as Fixture
const [token] = await signTokens(fixture, bench, 1)
const client = await createDpopClient(fixture, bench)
const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()

const ORIGIN = 'http://127.0.0.1:8080'
const dpop = name !== 'bearer'
const gate = createAuthenticator({
  issuers: [
    {
      issuer: ISSUER,
      audience: AUDIENCE,
      key: { pem },
      algorithms: [bench],
    },
  ],
  ...(name === 'dpop' ? {} : { cache: false }),
  ...(dpop
    ? {
        dpop: {
          mode: 'required' as const,
          replayStore: createMemoryReplayStore({ max: 100_000 }),
          publicOrigin: ORIGIN,
        },
      }
    : {}),
})
const total = warm! + made!
const proofs = dpop ? makeProofs(client, `${ORIGIN}/`, total, 60_000) : []
if (dpop && proofs.length < total) throw new Error('proofs: not enough made in time')
const requests = Array.from({ length: total }, (_, i) =>
  dpop
    ? {
        method: 'GET',
        originalUrl: '/',
        headers: { authorization: `DPoP ${client.token}`, dpop: proofs[i]! },
      }
    : { method: 'GET', originalUrl: '/', headers: { authorization: `Bearer ${token}` } },
)
for (let i = 0; i < warm! + extra!; i++) {
  if ((await gate.authenticate(requests[i]!)) === undefined) throw new Error(`${name}: refused`)
}
await gate.close()
