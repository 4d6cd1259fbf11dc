import { describe, expect, it } from 'vitest'
import {
  BUCKET_COUNT,
  LatencyHistogram,
  bucketHighest,
  bucketIndex,
} from '../../bench/latency-histogram.js'

/** Nearest-rank percentile of a sorted array: the reference the histogram must match. */
function reference(sorted: readonly number[], p: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p * sorted.length) / 100 - 1e-9)))
  return sorted[rank - 1]!
}

/** A small deterministic generator (mulberry32), so a failure can be reproduced. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const PERCENTILES = [0, 1, 50, 90, 99, 99.9, 99.99, 100]

function check(samples: number[]): void {
  const histogram = new LatencyHistogram()
  for (const s of samples) histogram.record(s)
  expectPercentilesOf(histogram, samples)
}

/** The histogram's count, extremes and percentiles are those of `samples`, to bucket precision. */
function expectPercentilesOf(histogram: LatencyHistogram, samples: readonly number[]): void {
  const sorted = samples.map((s) => Math.round(s)).sort((a, b) => a - b)
  expect(histogram.count).toBe(samples.length)
  expect(histogram.min).toBe(sorted[0])
  expect(histogram.max).toBe(sorted.at(-1))
  for (const p of PERCENTILES) {
    const want = reference(sorted, p)
    const got = histogram.percentile(p)
    // Never below the true value, and above it by at most one bucket (1/256 of the value).
    expect(got).toBeGreaterThanOrEqual(want)
    expect(got - want).toBeLessThanOrEqual(Math.max(0, want / 256))
  }
}

describe('latency histogram', () => {
  it('maps every bucket boundary consistently', () => {
    expect(bucketIndex(0)).toBe(0)
    expect(bucketIndex(2 ** 31 - 1)).toBe(BUCKET_COUNT - 1)
    for (let i = 0; i < BUCKET_COUNT; i++) {
      const high = bucketHighest(i)
      expect(bucketIndex(high)).toBe(i)
      if (i + 1 < BUCKET_COUNT) expect(bucketIndex(high + 1)).toBe(i + 1)
    }
  })

  it('is exact below 512 µs', () => {
    const next = random(1)
    check(Array.from({ length: 5000 }, () => Math.floor(next() * 512)))
  })

  it('matches a sorted array on a long-tailed distribution', () => {
    const next = random(2)
    // Log-normal body around 300 µs plus rare multi-millisecond and multi-second outliers.
    const samples = Array.from({ length: 20_000 }, () => {
      const u = next()
      const body =
        300 * Math.exp(0.8 * Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(6.28 * u))
      return u < 0.995 ? body : u < 0.9995 ? 5_000 + next() * 80_000 : 1e6 + next() * 4e6
    })
    check(samples)
  })

  it('handles tiny sample counts, clamping and the empty case', () => {
    const histogram = new LatencyHistogram()
    expect(histogram.percentile(99)).toBeNaN()
    histogram.record(1234.4)
    expect(histogram.percentile(0)).toBe(1234)
    expect(histogram.percentile(100)).toBe(1234)
    histogram.record(-5)
    histogram.record(Number.POSITIVE_INFINITY)
    expect(histogram.min).toBe(0)
    expect(histogram.max).toBe(2 ** 31 - 1)
    expect(() => histogram.percentile(101)).toThrow(RangeError)
    histogram.reset()
    expect(histogram.count).toBe(0)
    check([7, 7, 7, 900_000])
  })

  it('merges runs into the histogram of all their samples together', () => {
    const next = random(3)
    // Two runs of different shape: the pooled percentiles are neither run's.
    const fast = Array.from({ length: 8_000 }, () => 200 + next() * 300)
    const slow = Array.from({ length: 2_000 }, () => 4_000 + next() * 40_000)
    const pooled = new LatencyHistogram()
    const empty = new LatencyHistogram()
    for (const run of [fast, slow]) {
      const histogram = new LatencyHistogram()
      for (const sample of run) histogram.record(sample)
      pooled.merge(histogram)
    }
    pooled.merge(empty)
    const all = [...fast, ...slow]
    expect(pooled.count).toBe(10_000)
    expectPercentilesOf(pooled, all)
    const rounded = all.map((v) => Math.round(v))
    expect(pooled.mean).toBeCloseTo(rounded.reduce((a, b) => a + b, 0) / rounded.length, 6)
    // Merging into an empty histogram copies the other.
    empty.merge(pooled)
    expect(empty.percentile(99)).toBe(pooled.percentile(99))
  })
})
