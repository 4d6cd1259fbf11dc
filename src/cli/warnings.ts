/**
 * Warnings on the command line: one line on standard error, `jwt-gate: warning: …`, at most once
 * per code, whether a command says it itself or the library it runs emits it as a process warning.
 * Node's own printing of the library's warnings (`(node:1234) [JWT_GATE_…] SecurityWarning: …`)
 * would repeat, in another format, what the command already said or reports in its own output.
 *
 * @module
 */
import type { CliIo } from './io.js'

/** The codes of the library's process warnings (see src/warnings.ts). */
const LIBRARY_CODE = /^JWT_GATE_[A-Z_]+$/

/** The codes already printed, per output: once per run in tests, once per process for real. */
const printed = new WeakMap<CliIo, Set<string>>()

/** Prints `message` as a warning on `io`'s standard error, unless `code` was printed there before. */
export function warn(io: CliIo, code: string, message: string): void {
  let codes = printed.get(io)
  if (codes === undefined) {
    codes = new Set()
    printed.set(io, codes)
  }
  if (codes.has(code)) return
  codes.add(code)
  io.stderr(`jwt-gate: warning: ${message}\n`)
}

/**
 * Takes the library's process warnings away from Node's printer and prints them with
 * {@link warn}, so that one the command already gave (same code) is not repeated. Every other
 * process warning still goes to the listeners that were there (Node's printer), unchanged.
 */
export function routeLibraryWarnings(io: CliIo): void {
  const previous = process.listeners('warning')
  process.removeAllListeners('warning')
  process.on('warning', (warning) => {
    const code = (warning as { code?: unknown }).code
    if (typeof code === 'string' && LIBRARY_CODE.test(code)) {
      warn(io, code, warning.message.replace(/^jwt-gate: /, ''))
    } else {
      for (const listener of previous) listener(warning)
    }
  })
}
