/** Bounded timing loops for the in-process benchmarks (micro and breakdown). */

/** Runs `op` back to back for `seconds` (checking the clock every 32 calls); returns ops/s. */
export async function opsPerSecond(op: () => unknown, seconds: number): Promise<number> {
  return (await measureOps(op, seconds)).opsPerSecond
}

/** Same, for synchronous work (no await between calls). */
export function syncOpsPerSecond(op: () => unknown, seconds: number): number {
  const deadline = performance.now() + seconds * 1000
  const start = performance.now()
  let count = 0
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 256; i++) op()
    count += 256
    now = performance.now()
  }
  return count / ((now - start) / 1000)
}

/** Ops/s (wall clock) and process CPU µs per op (all threads, so WebCrypto's pool counts too). */
export async function measureOps(
  op: () => unknown,
  seconds: number,
): Promise<{ opsPerSecond: number; cpuMicros: number }> {
  const cpu = process.cpuUsage()
  const deadline = performance.now() + seconds * 1000
  const start = performance.now()
  let count = 0
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 32; i++) await op()
    count += 32
    now = performance.now()
  }
  const used = process.cpuUsage(cpu)
  return {
    opsPerSecond: count / ((now - start) / 1000),
    cpuMicros: (used.user + used.system) / count,
  }
}
