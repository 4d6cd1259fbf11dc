/**
 * Start-up warnings: a `SecurityWarning` with a code, emitted at most once per code and process,
 * so that an app building several gates (or a test suite) is told once.
 *
 * @module
 */
const warned = new Set<string>()

/** Emits `message` as a process warning with `code`, unless that code was already emitted. */
export function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return
  warned.add(code)
  process.emitWarning(message, { code, type: 'SecurityWarning' })
}
