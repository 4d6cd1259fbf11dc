import { createServer } from 'node:http'
import type { RequestListener, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { interleave } from '../../bench/interleaved.js'
import type { Arm, ArmResult } from '../../bench/interleaved.js'
import {
  BARE_NO_TOKEN,
  BARE_SAME_REQUEST,
  LIKE_GATE_SAME_REQUEST,
  baselineArmName,
  closeComparisons,
  summariseComparison,
} from '../../bench/interleaved-pass.js'
import { declaredSuite, departsFromDefaults, fullSuite, shapeSuite } from '../../bench/scenarios.js'
import { quartiles } from '../../bench/statistics.js'

const servers: Server[] = []

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    ),
  )
})

async function serve(listener: RequestListener): Promise<number> {
  const server = createServer(listener)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

function arm(name: string, port: number, paths: string[], distinct = false): Arm {
  return {
    name,
    host: '127.0.0.1',
    port,
    cpuSeconds: () => undefined,
    requests: paths.map((path) =>
      Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, 'latin1'),
    ),
    distinct,
  }
}

const ok: RequestListener = (_req, res) => {
  res.setHeader('content-type', 'application/json')
  res.end('{"sub":"a"}')
}

const settings = { cycles: 3, sliceSeconds: 0.05, warmupSeconds: 0.02, connections: 4 }

describe('interleave', () => {
  it('gives every arm one slice per cycle and counts only 2xx answers', async () => {
    const good = await serve(ok)
    const refusing = await serve((_req, res) => {
      res.statusCode = 401
      res.end('no')
    })
    const results = await interleave(
      [arm('good', good, ['/']), arm('refusing', refusing, ['/'])],
      settings,
    )
    const [first, second] = results
    expect(first!.name).toBe('good')
    expect(first!.slices).toHaveLength(3)
    expect(first!.failures).toBe(0)
    expect(first!.slices.every((s) => s.rps > 0)).toBe(true)
    expect(second!.slices).toHaveLength(3)
    expect(second!.failures).toBeGreaterThan(0)
    expect(second!.slices.every((s) => s.rps === 0)).toBe(true)
  })

  it('sends the requests in turn and counts distinct requests sent again', async () => {
    const seen = new Set<string>()
    const port = await serve((req, res) => {
      seen.add(req.url!)
      ok(req, res)
    })
    const [result] = await interleave([arm('distinct', port, ['/a', '/b', '/c'], true)], settings)
    expect([...seen].sort()).toEqual(['/a', '/b', '/c'])
    expect(result!.reused).toBeGreaterThan(0)
  })

  it('ends a slice at its deadline when the server never answers, counting what is out as failed', async () => {
    const port = await serve(() => undefined)
    const [result] = await interleave([arm('silent', port, ['/'])], {
      ...settings,
      cycles: 1,
      warmupSeconds: 0,
      timeoutMs: 100,
    })
    expect(result!.slices).toEqual([{ rps: 0, cpuMicros: undefined }])
    expect(result!.failures).toBe(settings.connections)
  })

  it('fails an answer without Content-Length framing', async () => {
    const port = await serve((_req, res) => {
      res.write('chunked')
      res.end()
    })
    // Every answer closes its connection; the reopened ones soon exceed the budget.
    const run = interleave([arm('chunked', port, ['/'])], { ...settings, cycles: 8 })
    await expect(run).rejects.toThrow(/connections kept closing/)
  })
})

describe('summariseComparison', () => {
  const suite = fullSuite({ postgres: false })
  const comparisons = closeComparisons(suite)

  it('compares every default repeated-token row with bare Express, and distinct bearer rows with express-jwt', () => {
    const ids = comparisons.map((c) => `${c.subject.id} / ${c.judgedAgainst}`)
    expect(ids).toContain(`jwt-gate/bearer/EdDSA/repeated / ${BARE_SAME_REQUEST}`)
    expect(ids).toContain(`jwt-gate/cookie/HS256/repeated / ${BARE_SAME_REQUEST}`)
    expect(ids).toContain('jwt-gate/bearer/RS256/distinct / express-jwt (KeyObject)')
    expect(ids.filter((id) => id.includes('/repeated '))).toHaveLength(8)
    expect(ids.filter((id) => id.includes('/distinct '))).toHaveLength(3)
    // Rows with other options (cache off, user checks, no yield) are not among them.
    expect(ids.some((id) => /cache-off|users|no-yield/.test(id))).toBe(false)
  })

  it('runs every arm of a comparison on a server process of its own, so that all idle alike', () => {
    for (const comparison of [
      ...comparisons,
      ...closeComparisons(shapeSuite()),
      ...closeComparisons(declaredSuite()),
    ]) {
      const servers = comparison.arms.map((a) => a.server.id)
      expect(new Set(servers).size).toBe(servers.length)
    }
    // Both bare Express arms still run bare Express, given different requests.
    const cached = comparisons.find((c) => c.subject.id === 'jwt-gate/bearer/EdDSA/repeated')!
    const [noToken, sameRequest] = cached.arms
    expect([noToken!.name, sameRequest!.name]).toEqual([BARE_NO_TOKEN, BARE_SAME_REQUEST])
    expect([noToken!.server.server, sameRequest!.server.server]).toEqual(['bare', 'bare'])
    expect(sameRequest!.server.variant).toBeUndefined()
    expect(sameRequest!.requestsOf).toBe(cached.subject)
  })

  it('gives the cached row of --shape a third arm: the like-gate middleware, same request', () => {
    const shape = closeComparisons(shapeSuite())
    const cached = shape.find((c) => c.subject.id === 'jwt-gate/bearer/EdDSA/repeated')!
    expect(cached.judgedAgainst).toBe(BARE_SAME_REQUEST)
    expect(cached.arms.map((a) => a.name)).toEqual([
      BARE_NO_TOKEN,
      BARE_SAME_REQUEST,
      LIKE_GATE_SAME_REQUEST,
      cached.subject.label,
    ])
    const likeGate = cached.arms[2]!
    expect(likeGate.server.variant).toBe('noop-like-gate')
    // It gets jwt-gate's request (the token header), not bare Express's.
    expect(likeGate.requestsOf).toBe(cached.subject)
    // Each no-op row is still compared with bare Express alone; the full suite has no third arm.
    expect(shape.filter((c) => c.subject.kind === 'ceiling')).toHaveLength(5)
    expect(comparisons.every((c) => c.arms.every((a) => a.name !== LIKE_GATE_SAME_REQUEST))).toBe(
      true,
    )
  })

  it('compares the --shape row that declares req.auth beside the default row, same requests', () => {
    const shape = closeComparisons(shapeSuite())
    const declared = shape.find(
      (c) => c.subject.id === 'jwt-gate/bearer/EdDSA/repeated/declared-auth',
    )!
    expect(declared.judgedAgainst).toBe(BARE_SAME_REQUEST)
    const defaultRow = declared.arms.at(-2)!
    expect(defaultRow.server.id).toBe('jwt-gate/bearer/EdDSA/repeated')
    expect(defaultRow.requestsOf).toBe(declared.subject)
    expect(declared.arms.at(-1)!.server.variant).toBe('declared-auth')
    // The full suite has no such row, and no target judges it (it departs from the defaults).
    expect(comparisons.some((c) => c.subject.variant?.includes('declared-auth'))).toBe(false)
    expect(departsFromDefaults(declared.subject)).toBe(true)
  })

  it('pairs every repeated-token row of --declared with its declaring twin, same requests', () => {
    const declared = closeComparisons(declaredSuite())
    const twins = declared.filter((c) => c.subject.variant?.includes('declared-auth') === true)
    const defaults = declared.filter((c) => !departsFromDefaults(c.subject))
    expect(twins).toHaveLength(8)
    expect(defaults).toHaveLength(8)
    for (const twin of twins) {
      expect(twin.judgedAgainst).toBe(BARE_SAME_REQUEST)
      // The default row of the same algorithm and transport, given the twin's requests.
      const defaultRow = twin.arms.at(-2)!
      expect(defaultRow.server.id).toBe(twin.subject.id.replace('/declared-auth', ''))
      expect(defaultRow.requestsOf).toBe(twin.subject)
      expect(twin.subject.tokens).toBe('repeated')
    }
    // Each default row keeps its own comparison with bare Express, as in the full suite.
    expect(defaults.map((c) => c.arms.map((a) => a.name))).toEqual(
      defaults.map(() => [BARE_NO_TOKEN, BARE_SAME_REQUEST, expect.any(String)]),
    )
  })

  it('runs each compared row on the baseline build too, given the same requests', () => {
    const baseline = { dist: '/tmp/other-build', name: 'dist-b' }
    const withBaseline = closeComparisons(suite, baseline)
    expect(withBaseline).toHaveLength(comparisons.length)
    for (const comparison of withBaseline) {
      const arm = comparison.arms.find((a) => a.name === baselineArmName('dist-b'))!
      expect(arm.server.dist).toBe('/tmp/other-build')
      // Its own server (not the subject's), with the subject's scenario and requests.
      expect(arm.server.id).toBe(`${comparison.subject.id}@dist-b`)
      expect(arm.server.variant).toBe(comparison.subject.variant)
      expect(arm.requestsOf).toBe(comparison.subject)
      // The target is still judged against the same arm.
      expect(comparison.judgedAgainst).not.toBe(arm.name)
    }
    expect(comparisons.every((c) => c.arms.every((a) => a.server.dist === undefined))).toBe(true)
  })

  it('divides each cycle by the same cycle of the other arm and takes the median', () => {
    const comparison = comparisons.find((c) => c.subject.id === 'jwt-gate/bearer/EdDSA/repeated')!
    const slices = (rps: number[], cpu: number[]): ArmResult['slices'] =>
      rps.map((r, i) => ({ rps: r, cpuMicros: cpu[i] }))
    const results: ArmResult[] = [
      {
        name: BARE_NO_TOKEN,
        slices: slices([100, 200, 300], [10, 10, 10]),
        failures: 0,
        reused: 0,
      },
      {
        name: BARE_SAME_REQUEST,
        slices: slices([100, 100, 400], [10, 20, 10]),
        failures: 1,
        reused: 0,
      },
      {
        name: comparison.subject.label,
        slices: slices([90, 150, 200], [20, 10, 10]),
        failures: 0,
        reused: 2,
      },
    ]
    const rows = summariseComparison(comparison, results)
    expect(rows.map((r) => r.against)).toEqual([BARE_NO_TOKEN, BARE_SAME_REQUEST])
    const same = rows[1]!
    expect(same.judged).toBe(true)
    expect(rows[0]!.judged).toBe(false)
    // Per cycle: 0.9, 1.5, 0.5; a ratio of the medians would give 150 / 100 = 1.5.
    expect(same.ratio).toBeCloseTo(0.9)
    expect(same.quartiles).toEqual([0.5, 1.5])
    // CPU: theirs over ours per cycle: 0.5, 2, 1.
    expect(same.cpuRatio).toBeCloseTo(1)
    expect(same.subjectRps).toBe(150)
    expect(same.againstRps).toBe(100)
    expect(same.failures).toBe(1)
    expect(same.reused).toBe(2)
  })
})

describe('quartiles', () => {
  it('takes the nearest ranks', () => {
    expect(quartiles([4, 1, 3, 2])).toEqual([1, 3])
    expect(quartiles([5])).toEqual([5, 5])
    expect(quartiles([])).toEqual([Number.NaN, Number.NaN])
  })
})
