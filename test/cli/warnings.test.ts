/**
 * How the binary's entry point prints process warnings: the library's (JWT_GATE_* codes) in the
 * CLI's format, once per code, and every other warning left to Node's printer as before.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CliIo } from '../../src/cli/io.js'
import { routeLibraryWarnings, warn } from '../../src/cli/warnings.js'

let saved: ((warning: Error) => void)[]
beforeEach(() => {
  saved = process.listeners('warning')
  process.removeAllListeners('warning')
})
afterEach(() => {
  process.removeAllListeners('warning')
  for (const listener of saved) process.on('warning', listener)
})

function capturingIo(): CliIo & { err: string } {
  const io = {
    err: '',
    stdout: () => undefined,
    stderr: (chunk: string) => void (io.err += chunk),
    readStdin: () => Promise.resolve(''),
    env: {},
    cwd: process.cwd(),
    now: () => new Date(),
  }
  return io
}

function processWarning(message: string, code: string): Error {
  return Object.assign(new Error(message), { name: 'SecurityWarning', code })
}

describe('routeLibraryWarnings', () => {
  it("prints the library's warnings as the CLI's, once per code, after the command's own", () => {
    const io = capturingIo()
    const nodePrinter = vi.fn()
    process.on('warning', nodePrinter)
    routeLibraryWarnings(io)

    warn(io, 'JWT_GATE_WEAK_SECRET', 'the HMAC secret looks weak: …')
    process.emit(
      'warning',
      processWarning('jwt-gate: "x.secret" looks weak: …', 'JWT_GATE_WEAK_SECRET'),
    )
    process.emit(
      'warning',
      processWarning('jwt-gate: no "audience": …', 'JWT_GATE_AUDIENCE_UNCHECKED'),
    )
    process.emit(
      'warning',
      processWarning('jwt-gate: no "audience": …', 'JWT_GATE_AUDIENCE_UNCHECKED'),
    )

    expect(io.err).toBe(
      'jwt-gate: warning: the HMAC secret looks weak: …\n' +
        'jwt-gate: warning: no "audience": …\n',
    )
    expect(nodePrinter).not.toHaveBeenCalled()
  })

  it("leaves every other warning to Node's printer", () => {
    const io = capturingIo()
    const nodePrinter = vi.fn()
    process.on('warning', nodePrinter)
    routeLibraryWarnings(io)

    const other = processWarning('something else', 'DEP0999')
    process.emit('warning', other)
    expect(nodePrinter).toHaveBeenCalledWith(other)
    expect(io.err).toBe('')
  })
})
