/**
 * The log of server-side failures (5xx) behind `authErrorHandler()`. A store or key set that
 * fails answers every request 503, so each failure is logged once per distinct cause, and again
 * at most once a minute while it lasts, never once per request. A line names the status, code
 * and message and the chain of causes; anything in a cause's text that looks like a token, a key
 * or URL credentials is replaced, since a driver's message may quote what it was given.
 *
 * @module
 */
import type { AuthError } from '../errors.js'

/** Where log lines go: a line, and the error it describes (for structured loggers). */
export type ErrorLogger = (line: string, error: AuthError) => void

/** How long a cause already logged stays quiet. */
const QUIET_MS = 60_000
/** Distinct causes remembered; the oldest is forgotten first. */
const REMEMBERED = 100
/** Causes followed down the chain; characters of a message redacted, and kept. */
const CAUSE_DEPTH = 3
const MESSAGE_READ = 4000
const MESSAGE_KEPT = 300

/** Returns the reporter of one error handler: logs a 5xx unless its line was logged lately. */
export function createErrorLog(logger: ErrorLogger): (error: AuthError) => void {
  const lastLogged = new Map<string, number>()
  return (error) => {
    const line = describe(error)
    const now = Date.now()
    const last = lastLogged.get(line)
    if (last !== undefined && now - last < QUIET_MS) return
    // Re-inserted so that the map's order is the order of last logging, oldest first.
    lastLogged.delete(line)
    lastLogged.set(line, now)
    if (lastLogged.size > REMEMBERED) lastLogged.delete(lastLogged.keys().next().value!)
    logger(line, error)
  }
}

/** `jwt-gate: 503 ERR_AUTH_STORE_UNAVAILABLE (user lookup unavailable); cause: Error: ...` */
function describe(error: AuthError): string {
  let line = `jwt-gate: ${error.status} ${error.code} (${error.message})`
  let cause: unknown = error.cause
  for (let depth = 0; depth < CAUSE_DEPTH && cause !== undefined; depth++) {
    line += `; cause: ${describeCause(cause)}`
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return line
}

function describeCause(cause: unknown): string {
  if (typeof cause === 'string') return cleaned(cause)
  if (!(cause instanceof Error)) return typeof cause
  const code = (cause as { code?: unknown }).code
  const name = typeof code === 'string' ? `${cause.name} ${code}` : cause.name
  return `${name}: ${cleaned(cause.message)}`
}

/** A cause's text, bounded and redacted, fit for a log line. */
function cleaned(text: string): string {
  return wholeWords(redact(wholeWords(text, MESSAGE_READ)), MESSAGE_KEPT)
}

/**
 * At most `max` characters of `text`, cut at a space: a cut inside a word could leave part of a
 * secret that the redaction no longer recognises.
 */
function wholeWords(text: string, max: number): string {
  if (text.length <= max) return text
  const lastSpace = text.lastIndexOf(' ', max)
  return `${lastSpace > 0 ? text.slice(0, lastSpace) : ''} …`
}

/**
 * Replaces what must never reach a log: PEM blocks, compact JWS (whole or in part), URL
 * credentials, `password=`-style parameters, and any long base64-like run (a key or secret). The
 * text is bounded first, so that these patterns stay cheap whatever it holds.
 */
function redact(text: string): string {
  return text
    .replace(/-----BEGIN [^-]*-----[\s\S]*?(?:-----END [^-]*-----|$)/g, '[key]')
    .replace(/eyJ[\w-]*(?:\.[\w-]*){1,2}/g, '[token]')
    .replace(/\/\/[^/@\s]*@/g, '//[credentials]@')
    .replace(/\b(password|passwd|pwd|secret|token|key)=[^&\s;]+/gi, '$1=[redacted]')
    .replace(/[A-Za-z0-9+/_-]{32,}={0,2}/g, '[redacted]')
}
