/**
 * A log-linear latency histogram in whole microseconds, for the paced fixed-rate run
 * (`bench/paced.ts`). Values below 512 µs get a bucket each (exact); above, every power of two is
 * split into 256 equal buckets, so a percentile is never off by more than 1/256 (0.4 %) of its
 * value. Recording is O(1) and allocation-free; the memory is fixed (6,144 counters) whatever the
 * number of samples. Values are clamped to [0, 2^31 - 1] µs (about 35 minutes).
 */

const SUB_BITS = 8
const SUB_BUCKETS = 1 << SUB_BITS // 256 buckets per power of two
const LINEAR_LIMIT = SUB_BUCKETS * 2 // 512: below this, one bucket per microsecond
const MAX_BITS = 31
const MAX_VALUE = 2 ** MAX_BITS - 1
/** Number of buckets: 512 exact ones, then 256 for each power of two from 2^9 to 2^30. */
export const BUCKET_COUNT = LINEAR_LIMIT + (MAX_BITS - (SUB_BITS + 1)) * SUB_BUCKETS

/** The bucket of a whole, clamped value (µs). */
export function bucketIndex(value: number): number {
  if (value < LINEAR_LIMIT) return value
  const bits = 31 - Math.clz32(value) // floor(log2(value)), at least 9
  const shift = bits - SUB_BITS
  return LINEAR_LIMIT + (bits - SUB_BITS - 1) * SUB_BUCKETS + ((value >>> shift) - SUB_BUCKETS)
}

/** The highest value (µs) that falls into bucket `index`. */
export function bucketHighest(index: number): number {
  if (index < LINEAR_LIMIT) return index
  const k = index - LINEAR_LIMIT
  const bits = SUB_BITS + 1 + Math.floor(k / SUB_BUCKETS)
  const width = 2 ** (bits - SUB_BITS)
  const low = (SUB_BUCKETS + (k % SUB_BUCKETS)) * width
  return low + width - 1
}

/** Latency samples in µs, and their percentiles. */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT)
  private total = 0
  private sum = 0
  private lowest = Number.POSITIVE_INFINITY
  private highest = Number.NEGATIVE_INFINITY

  /** Records one sample (µs; rounded to a whole microsecond, clamped to the range). */
  record(micros: number): void {
    const value = Number.isFinite(micros)
      ? Math.min(MAX_VALUE, Math.max(0, Math.round(micros)))
      : MAX_VALUE
    this.counts[bucketIndex(value)]!++
    this.total++
    this.sum += value
    if (value < this.lowest) this.lowest = value
    if (value > this.highest) this.highest = value
  }

  /** Number of samples. */
  get count(): number {
    return this.total
  }

  /** Smallest sample (µs), NaN when empty. */
  get min(): number {
    return this.total === 0 ? Number.NaN : this.lowest
  }

  /** Largest sample (µs), NaN when empty. */
  get max(): number {
    return this.total === 0 ? Number.NaN : this.highest
  }

  /** Mean of the (whole-µs) samples, NaN when empty. */
  get mean(): number {
    return this.total === 0 ? Number.NaN : this.sum / this.total
  }

  /**
   * The nearest-rank percentile (µs): the smallest sample with at least `p` % of all samples at or
   * below it, as the highest value of its bucket (never above the largest sample). NaN when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return Number.NaN
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile out of range: ${p}`)
    // The epsilon keeps float noise (0.999 * 1000 = 998.99…) from moving the rank.
    const rank = Math.min(this.total, Math.max(1, Math.ceil((p * this.total) / 100 - 1e-9)))
    let seen = 0
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return Math.min(bucketHighest(i), this.highest)
    }
    return this.highest
  }

  /**
   * Adds every sample of `other` to this histogram, as if each had been recorded here: percentiles
   * of the merged histogram are those of all samples together (to bucket precision).
   */
  merge(other: LatencyHistogram): void {
    if (other.total === 0) return
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i]! += other.counts[i]!
    this.total += other.total
    this.sum += other.sum
    if (other.lowest < this.lowest) this.lowest = other.lowest
    if (other.highest > this.highest) this.highest = other.highest
  }

  /** Forgets every sample. */
  reset(): void {
    this.counts.fill(0)
    this.total = 0
    this.sum = 0
    this.lowest = Number.POSITIVE_INFINITY
    this.highest = Number.NEGATIVE_INFINITY
  }
}
