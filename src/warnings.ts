/**
 * Once-per-process warnings: a process warning with a code, emitted at most once per code and
 * process, so that an app building several gates (or a test suite) is told once. Start-up findings
 * are `SecurityWarning`s; a mounting or hook mistake seen at request time is a plain `Warning`.
 *
 * @module
 */
const warned = new Set<string>()

/** Emits `message` as a process warning with `code`, unless that code was already emitted. */
export function warnOnce(
  code: string,
  message: string,
  type: 'SecurityWarning' | 'Warning' = 'SecurityWarning',
): void {
  if (warned.has(code)) return
  warned.add(code)
  process.emitWarning(message, { code, type })
}
