/**
 * Where jwt-gate's per-request time goes: each step of the pipeline timed alone (µs per call), in
 * one process pinned to one core. This is the evidence behind the performance suggestions in
 * docs/performance.md; it imports internal modules on purpose.
 *
 * `tsx bench/breakdown.ts [--seconds S]`; prints a Markdown table.
 */
import { createHmac, createPublicKey, createSecretKey, timingSafeEqual, verify } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { built } from './built.js'
import { AUDIENCE, ISSUER, createFixture, signTokens } from './fixture.js'
import { PINNING } from './server-process.js'
import { opsPerSecond, syncOpsPerSecond } from './timing.js'
import type * as IndexModule from '../src/index.js'
import type * as CompactModule from '../src/jws/compact.js'
import type * as ExtractModule from '../src/request/extract.js'
import type * as VerifyModule from '../src/jws/verify.js'
import type * as ClaimsRegisteredModule from '../src/claims/registered.js'
import type * as ClaimsPresetsModule from '../src/claims/presets.js'
import type * as VerifiedCacheModule from '../src/pipeline/verified-cache.js'
import type * as StoreCallsModule from '../src/checks/store-calls.js'
import type * as StoresMemoryModule from '../src/stores/memory.js'

const { createAuthenticator } = await built<typeof IndexModule>('index.js')
const { decodeCompact } = await built<typeof CompactModule>('jws/compact.js')
const { extractToken } = await built<typeof ExtractModule>('request/extract.js')
const { verifySignature } = await built<typeof VerifyModule>('jws/verify.js')
const { checkRegisteredClaims } = await built<typeof ClaimsRegisteredModule>('claims/registered.js')
const { defaultClaims } = await built<typeof ClaimsPresetsModule>('claims/presets.js')
const { deepFreeze } = await built<typeof VerifiedCacheModule>('pipeline/verified-cache.js')
const { callStore } = await built<typeof StoreCallsModule>('checks/store-calls.js')
const { createMemoryRevocationStore, createMemoryUserStore } =
  await built<typeof StoresMemoryModule>('stores/memory.js')

const { values: args } = parseArgs({ options: { seconds: { type: 'string' } } })
const seconds = Number(args.seconds ?? 1)
if (!(seconds > 0 && seconds <= 30)) throw new Error('--seconds must be in (0, 30]')

async function main(): Promise<void> {
  if (PINNING) execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' })
  const fixture = createFixture()
  try {
    const [token] = await signTokens(fixture, 'EdDSA', 1)
    const [hsToken] = await signTokens(fixture, 'HS256', 1)
    const key = createPublicKey(fixture.public.keys.EdDSA.pem!)
    const req = { headers: { authorization: `Bearer ${token!}` } }
    const policy = {
      sources: ['header'] as const,
      cookie: undefined,
      conflict: 'reject' as const,
      extractToken: undefined,
    }
    const decoded = decodeCompact(token!, 8192)
    const claimPolicy = {
      issuer: ISSUER,
      audience: new Set([AUDIENCE]),
      clockTolerance: 5,
      maxTokenAge: undefined,
      requireExpiry: true,
    }
    const dot = token!.lastIndexOf('.')
    const input = Buffer.from(token!.slice(0, dot))
    const signature = Buffer.from(token!.slice(dot + 1), 'base64url')
    const issuer = {
      issuer: ISSUER,
      audience: AUDIENCE,
      key: { ed25519: fixture.public.keys.EdDSA.raw! },
    }
    const hsIssuer = {
      issuer: ISSUER,
      audience: AUDIENCE,
      key: { secret: fixture.public.keys.HS256.secret!, encoding: 'utf8' as const },
      algorithms: ['HS256' as const],
    }
    const hit = createAuthenticator({ issuers: [issuer] })
    const hitStores = createAuthenticator({
      issuers: [issuer],
      users: { store: createMemoryUserStore([{ username: 'user-0', roles: ['user'] }]) },
      revocation: { store: createMemoryRevocationStore() },
    })
    const miss = createAuthenticator({ issuers: [issuer], cache: false })
    const hsMiss = createAuthenticator({ issuers: [hsIssuer], cache: false })
    const hsReq = { headers: { authorization: `Bearer ${hsToken!}` } }
    const secretKey = createSecretKey(Buffer.from(fixture.public.keys.HS256.secret!, 'utf8'))
    const hsDot = hsToken!.lastIndexOf('.')
    const hsInput = Buffer.from(hsToken!.slice(0, hsDot))
    const hsSignature = Buffer.from(hsToken!.slice(hsDot + 1), 'base64url')

    const steps: [string, () => Promise<number> | number][] = [
      ['await Promise.resolve() (baseline)', () => opsPerSecond(() => Promise.resolve(), seconds)],
      [
        'extractToken (bearer header)',
        () => opsPerSecond(() => extractToken(req, policy), seconds),
      ],
      [
        'decodeCompact (gate + JSON decode)',
        () => syncOpsPerSecond(() => decodeCompact(token!, 8192), seconds),
      ],
      [
        'decodeCompact + deepFreeze of header and payload',
        () =>
          syncOpsPerSecond(() => {
            const d = decodeCompact(token!, 8192)
            deepFreeze(d.header)
            deepFreeze(d.payload)
          }, seconds),
      ],
      [
        'checkRegisteredClaims',
        () =>
          syncOpsPerSecond(
            () => checkRegisteredClaims(decoded.payload, claimPolicy, Date.now() / 1000),
            seconds,
          ),
      ],
      [
        'defaultClaims.safeParseAsync (zod)',
        () => opsPerSecond(() => defaultClaims.safeParseAsync(decoded.payload), seconds),
      ],
      [
        'defaultClaims.safeParse (zod, sync)',
        () => syncOpsPerSecond(() => defaultClaims.safeParse(decoded.payload), seconds),
      ],
      [
        'callStore(() => Promise.resolve(false)) (timer + race)',
        () => opsPerSecond(() => callStore(() => Promise.resolve(false), 3000, 'store'), seconds),
      ],
      [
        'EdDSA: verifySignature (src/verify.ts)',
        () => opsPerSecond(() => verifySignature(token!, key, 'EdDSA'), seconds),
      ],
      [
        'EdDSA: node:crypto verify (same KeyObject)',
        () => syncOpsPerSecond(() => verify(null, input, key, signature), seconds),
      ],
      [
        'EdDSA: node:crypto verify, callback form (thread pool)',
        () =>
          opsPerSecond(
            () =>
              new Promise<boolean>((resolve, reject) => {
                verify(null, input, key, signature, (error, ok) => {
                  if (error === null) resolve(ok)
                  else reject(error)
                })
              }),
            seconds,
          ),
      ],
      [
        'HS256: node:crypto createHmac + timingSafeEqual (same secret)',
        () =>
          syncOpsPerSecond(() => {
            const mac = createHmac('sha256', secretKey).update(hsInput).digest()
            return mac.length === hsSignature.length && timingSafeEqual(mac, hsSignature)
          }, seconds),
      ],
      [
        'HS256: verifySignature (src/verify.ts)',
        () => opsPerSecond(() => verifySignature(hsToken!, secretKey, 'HS256'), seconds),
      ],
      [
        'EdDSA: authenticate(), cache off',
        () => opsPerSecond(() => miss.authenticate(req), seconds),
      ],
      [
        'HS256: authenticate(), cache off',
        () => opsPerSecond(() => hsMiss.authenticate(hsReq), seconds),
      ],
      ['authenticate(), cache hit', () => opsPerSecond(() => hit.authenticate(req), seconds)],
      [
        'authenticate(), cache hit + memory user and revocation stores',
        () => opsPerSecond(() => hitStores.authenticate(req), seconds),
      ],
    ]
    const lines = [
      '| Step | calls/s | wall µs per call | CPU µs per call |',
      '| --- | ---: | ---: | ---: |',
    ]
    for (const [name, run] of steps) {
      await run() // warm-up pass
      const cpu = process.cpuUsage()
      const started = performance.now()
      const ops = await run()
      const used = process.cpuUsage(cpu)
      // The loop ran about (elapsed × ops/s) calls; CPU includes WebCrypto's pool threads.
      const calls = (ops * (performance.now() - started)) / 1000
      const cpuMicros = (used.user + used.system) / calls
      lines.push(
        `| ${name} | ${Math.round(ops).toLocaleString('en-US')} | ${(1e6 / ops).toFixed(2)} | ${cpuMicros.toFixed(2)} |`,
      )
      process.stdout.write(`${lines[lines.length - 1]}\n`)
    }
    process.stdout.write(`\n${lines.join('\n')}\n`)
  } finally {
    fixture.dispose()
  }
}

await main()
