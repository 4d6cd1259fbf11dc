/**
 * The background refresh of a remote document (issue 23, point 2): it runs before expiry on an
 * unref'd timer, retries a failure after the cooldown, and stops for good with `close()`. Fake
 * timers drive it; the loader is a counter (the HTTP side is tested in test/provider/).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Refreshing } from '../../src/keys/refreshing.js'

const LIFETIME = 10_000
const COOLDOWN = 1_000

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

function counter(fail = (): boolean => false) {
  let loads = 0
  const refreshing = new Refreshing(
    () => {
      loads++
      return fail()
        ? Promise.reject(new Error('down'))
        : Promise.resolve({ value: loads, lifetime: LIFETIME })
    },
    { cooldown: COOLDOWN, staleIfError: 0, background: true },
  )
  return { refreshing, loads: () => loads }
}

describe('background refresh', () => {
  it('refreshes at 80 % of the lifetime, unref’d, and close() stops it', async () => {
    const { refreshing, loads } = counter()
    expect(loads()).toBe(0) // nothing before the first use
    expect(await refreshing.get()).toBe(1)
    await vi.advanceTimersByTimeAsync(LIFETIME * 0.8 - 1)
    expect(loads()).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(loads()).toBe(2)
    // The refreshed value serves at once, past the first one's expiry.
    await vi.advanceTimersByTimeAsync(LIFETIME * 0.2 + 1)
    expect(await refreshing.get()).toBe(2)
    refreshing.close()
    await vi.advanceTimersByTimeAsync(LIFETIME * 10)
    expect(loads()).toBe(2)
  })

  it('a load still running at close() schedules nothing when it ends', async () => {
    let loads = 0
    let finish: (value: { value: number; lifetime: number }) => void = () => undefined
    const refreshing = new Refreshing(
      () => {
        loads++
        return new Promise<{ value: number; lifetime: number }>((resolve) => (finish = resolve))
      },
      { cooldown: COOLDOWN, staleIfError: 0, background: true },
    )
    const first = refreshing.get()
    refreshing.close()
    finish({ value: 1, lifetime: LIFETIME })
    expect(await first).toBe(1)
    await vi.advanceTimersByTimeAsync(LIFETIME * 10)
    expect(loads).toBe(1)
  })

  it('the timer does not keep the process alive', async () => {
    const unref = vi.spyOn(globalThis, 'setTimeout')
    const { refreshing } = counter()
    await refreshing.get()
    const timer = unref.mock.results.at(-1)?.value as NodeJS.Timeout
    expect(timer.hasRef()).toBe(false)
    refreshing.close()
  })

  it('a failed refresh is retried after the cooldown, not before', async () => {
    let down = false
    const { refreshing, loads } = counter(() => down)
    await refreshing.get()
    down = true
    await vi.advanceTimersByTimeAsync(LIFETIME * 0.8)
    expect(loads()).toBe(2)
    expect(refreshing.status().lastError).toBe('down')
    await vi.advanceTimersByTimeAsync(COOLDOWN - 1)
    expect(loads()).toBe(2)
    down = false
    await vi.advanceTimersByTimeAsync(1)
    expect(loads()).toBe(3)
    expect(refreshing.status().lastError).toBeUndefined()
    refreshing.close()
  })

  it('one load is shared by concurrent callers', async () => {
    const { refreshing, loads } = counter()
    const values = await Promise.all(Array.from({ length: 10 }, () => refreshing.get()))
    expect(values).toEqual(Array(10).fill(1))
    expect(loads()).toBe(1)
    refreshing.close()
  })
})
