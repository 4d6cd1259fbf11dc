/**
 * Runs the claims schema through the Standard Schema interface (`~standard.validate`), which zod
 * 3.24+, zod 4, valibot and arktype implement, whatever copy or version of the library built it:
 * synchronously when the schema answers synchronously, so that a fresh token costs no promise.
 *
 * @module
 */
import { InvalidTokenError } from '../errors.js'
import type { ClaimIssue } from '../errors.js'

/** One problem a Standard Schema reports: a message and where in the input. */
export interface StandardSchemaIssue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
}

/** What `~standard.validate` answers: the output, or the issues. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> }

/**
 * A schema of any validation library that implements Standard Schema v1
 * (https://standardschema.dev): zod 3.24+ and 4, valibot, arktype, or an object written by hand.
 */
export interface StandardSchemaV1<Output = unknown> {
  /** The Standard Schema properties. */
  readonly '~standard': {
    /** Version of the Standard Schema interface. */
    readonly version: 1
    /** The library that built the schema (`zod`, `valibot`, …). */
    readonly vendor: string
    /** Validates a value: the output, or the issues; a promise of either for async schemas. */
    readonly validate: (
      value: unknown,
    ) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>
    /** Inferred types, for TypeScript only. */
    readonly types?: { readonly input: unknown; readonly output: Output } | undefined
  }
}

/** The part of a zod schema (3 or 4, any copy) used to parse asynchronously without a retry. */
interface ZodLike {
  safeParseAsync(value: unknown): Promise<{
    success: boolean
    data?: unknown
    error?: { issues: StandardSchemaIssue[] }
  }>
}

/**
 * `value` as a claims schema: a Standard Schema as it is, a zod schema older than 3.24 (which has
 * no `~standard`) through its `safeParseAsync`, anything else undefined.
 */
export function asClaimsSchema(value: unknown): StandardSchemaV1 | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const standard = (value as { '~standard'?: { validate?: unknown } })['~standard']
  if (typeof standard?.validate === 'function') return value as StandardSchemaV1
  const zod = value as Partial<ZodLike>
  if (typeof zod.safeParseAsync !== 'function') return undefined
  const legacy: StandardSchemaV1 = {
    '~standard': {
      version: 1,
      vendor: 'zod',
      validate: (payload) =>
        zod.safeParseAsync!(payload).then((r) =>
          r.success ? { value: r.data } : { issues: r.error?.issues ?? [] },
        ),
    },
  }
  return legacy
}

/**
 * Schemas that answered with a promise. Zod 4's `validate` first parses synchronously and starts
 * over asynchronously when it meets an async refinement, so the refinements before it run twice;
 * once a zod schema is known to be asynchronous, jwt-gate goes straight to its `safeParseAsync`.
 */
const asyncSchemas = new WeakSet<object>()

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

function validate(schema: StandardSchemaV1, payload: unknown): unknown {
  const zod = schema as Partial<ZodLike>
  if (asyncSchemas.has(schema) && typeof zod.safeParseAsync === 'function') {
    return zod.safeParseAsync(payload).then((r) => (r.success ? { value: r.data } : r.error))
  }
  const result = schema['~standard'].validate(payload)
  if (isThenable(result)) asyncSchemas.add(schema)
  return result
}

/**
 * The schema's output for a verified payload, or a promise of it for an asynchronous schema.
 * Throws (or rejects with) `ERR_AUTH_CLAIMS_INVALID` when the payload does not match.
 */
export function parseClaims(schema: StandardSchemaV1, payload: unknown): unknown {
  const result = validate(schema, payload)
  if (isThenable(result)) return Promise.resolve(result).then((r) => claimsOf(r, payload))
  return claimsOf(result, payload)
}

function claimsOf(result: unknown, payload: unknown): unknown {
  const issues = (result as { issues?: unknown } | null)?.issues
  if (typeof result === 'object' && result !== null && issues === undefined) {
    return (result as { value?: unknown }).value
  }
  const reported = Array.isArray(issues) ? (issues as StandardSchemaIssue[]) : []
  // The library's raw issues are not kept (not even as `cause`): some carry the input value.
  throw new InvalidTokenError('ERR_AUTH_CLAIMS_INVALID', 'claims do not match the schema', {
    issues: reported.map((issue) => describeIssue(issue, payload)),
  })
}

/** Path and message of an issue, with any copy of the claim's own value masked. */
function describeIssue(issue: StandardSchemaIssue, payload: unknown): ClaimIssue {
  const path = (issue.path ?? []).map((segment) => {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment
    return typeof key === 'number' ? key : String(key)
  })
  const message = typeof issue.message === 'string' ? issue.message : 'invalid'
  return Object.freeze({ path, message: maskValue(message, valueAt(payload, path)) })
}

function valueAt(source: unknown, path: readonly (string | number)[]): unknown {
  let value = source
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string | number, unknown>)[key]
  }
  return value
}

/**
 * Some libraries quote the input in their messages (zod 3's enum message, valibot's "received");
 * a claim value may be personal data, so wherever the failing claim's own scalar value appears as
 * a word of the message it is replaced.
 */
function maskValue(message: string, value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    return message
  }
  const text = String(value)
  if (text === '') return message
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return message.replace(new RegExp(`(?<![\\w])${escaped}(?![\\w])`, 'g'), '<claim value>')
}
