/**
 * Runs the claims schema: synchronously when it can, so that a fresh token costs no promise.
 *
 * @module
 */
import { core } from 'zod'
import type { ZodType } from 'zod'
import { InvalidTokenError } from '../errors.js'

/**
 * Zod 4 schemas found to hold asynchronous refinements or transforms. Zod 4 reports those by
 * throwing `$ZodAsyncError` from a synchronous parse, without a verdict. That one attempt per
 * schema may already have called refinements (the asynchronous one included), so a refinement
 * with side effects sees the first token twice; every later token goes straight to the
 * asynchronous parse.
 */
const asyncSchemas = new WeakSet<ZodType>()

/**
 * The schema's output for a verified payload, or a promise of it for asynchronous schemas (and
 * for schemas of other zod versions, which only the asynchronous API parses in every case).
 * Throws `ERR_AUTH_CLAIMS_INVALID` when the payload does not match.
 */
export function parseClaims(schema: ZodType, payload: unknown): unknown {
  if ('_zod' in schema && !asyncSchemas.has(schema)) {
    try {
      return claimsOf(schema.safeParse(payload))
    } catch (error) {
      if (!(error instanceof core.$ZodAsyncError)) throw error
      asyncSchemas.add(schema)
    }
  }
  return schema.safeParseAsync(payload).then(claimsOf)
}

function claimsOf(result: { success: boolean; data?: unknown; error?: unknown }): unknown {
  if (!result.success) {
    throw new InvalidTokenError('ERR_AUTH_CLAIMS_INVALID', 'claims do not match the schema', {
      cause: result.error,
    })
  }
  return result.data
}
