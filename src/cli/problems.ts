/**
 * Findings of `check-config`: each names the offending setting, never its value.
 *
 * @module
 */

/** One finding. Errors fail the check (exit 1); warnings are reported only. */
export interface Problem {
  severity: 'error' | 'warning'
  /** The setting's name: a JSON path (`jwts.max-age`) or an environment variable. */
  setting: string
  message: string
}

/** Collects problems; `error`/`warning` return nothing so checks read as a list of rules. */
export class ProblemList {
  readonly items: Problem[] = []

  error(setting: string, message: string): void {
    this.items.push({ severity: 'error', setting, message })
  }

  warning(setting: string, message: string): void {
    this.items.push({ severity: 'warning', setting, message })
  }

  get hasErrors(): boolean {
    return this.items.some((p) => p.severity === 'error')
  }
}
