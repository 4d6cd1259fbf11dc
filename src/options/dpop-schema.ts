/**
 * The schema of the `dpop` option (RFC 9449), checked against `dpop-types.ts` through `shape.ts`.
 *
 * @module
 */
import { z } from 'zod'
import { ASYMMETRIC_ALGORITHMS } from '../jws/algorithms.js'
import type { Algorithm } from '../jws/algorithms.js'
import type { ReplayStore } from '../stores/types.js'
import { originProblem } from '../dpop/origin.js'
import type { DpopNonceOptions, DpopOptions } from './dpop-types.js'
import type { AuthenticateOptions } from './types.js'
import { optionsObject } from './shape.js'

const ASYMMETRIC: ReadonlySet<string> = new Set(ASYMMETRIC_ALGORITHMS)

const proofAlgorithms = z
  .array(z.string(), { error: 'must be a non-empty array' })
  .min(1, 'must be a non-empty array')
  .refine((names): names is Algorithm[] => names.every((name) => ASYMMETRIC.has(name)), {
    error: `must list asymmetric algorithms only (${ASYMMETRIC_ALGORITHMS.join(', ')})`,
  })

/** A secret of at least 32 bytes (UTF-8 bytes for a string). */
const nonceSecret = z
  .union([z.string(), z.custom<Uint8Array>((value) => value instanceof Uint8Array)], {
    error: 'must be a string or a Uint8Array',
  })
  .refine(
    (secret) =>
      (typeof secret === 'string' ? Buffer.byteLength(secret, 'utf8') : secret.length) >= 32,
    'must be at least 32 bytes',
  )

const nonceSchema = optionsObject<DpopNonceOptions>()({
  secret: nonceSecret,
  step: z.number().int().min(10).max(3600).optional(),
})

export const dpopSchema = optionsObject<DpopOptions>()({
  mode: z.enum(['allowed', 'required'], { error: 'must be "allowed" or "required"' }),
  replayStore: z.custom<ReplayStore>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { remember?: unknown }).remember === 'function',
    'is required: a replay store implementing remember() (jwt-gate/stores/*), shared by the fleet',
  ),
  publicOrigin: z.string({ error: 'must be an origin string' }).superRefine((text, ctx) => {
    const problem = originProblem(text)
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
  }),
  algorithms: proofAlgorithms.optional(),
  iatWindow: z.number().int().min(1).max(300).optional(),
  nonce: nonceSchema.optional(),
})

/** An issuer's own DPoP mode needs the gate's `dpop` (its replay store and public origin). */
export function checkIssuerDpop(
  options: AuthenticateOptions,
  problem: (path: PropertyKey[], message: string) => void,
): void {
  if (options.dpop !== undefined) return
  options.issuers.forEach(({ dpop }, index) => {
    if (dpop !== undefined) problem(['issuers', index, 'dpop'], 'needs the gate\'s "dpop" option')
  })
}
