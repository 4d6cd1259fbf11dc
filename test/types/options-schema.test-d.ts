/**
 * Issue 22, point 2: the option types and the zod schema are one description, kept in step by the
 * compiler. Each drift below must fail to compile; if `optionsObject` stopped catching one, its
 * `@ts-expect-error` would be unused and this file would fail the type check.
 */
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { optionsObject } from '../../src/options/shape.js'
import { optionsSchema } from '../../src/options/schema.js'
import type { AuthenticateOptions } from '../../src/index.js'
import type { VerifiedCacheOptions } from '../../src/options/types.js'

const cache = optionsObject<VerifiedCacheOptions>()

describe('a schema pinned to its option type', () => {
  it('compiles when it describes the type exactly, and parses into it', () => {
    const schema = cache({
      max: z.number().optional(),
      maxBytes: z.number().optional(),
      ttl: z.number().optional(),
    })
    expectTypeOf(schema.parse({})).toExtend<VerifiedCacheOptions>()
    expectTypeOf(optionsSchema.parse({})).toExtend<AuthenticateOptions>()
  })

  it('refuses a member the type has and the schema forgets', () => {
    // @ts-expect-error `ttl` is missing
    cache({ max: z.number().optional(), maxBytes: z.number().optional() })
  })

  it('refuses a member the type does not have', () => {
    cache({
      max: z.number().optional(),
      maxBytes: z.number().optional(),
      ttl: z.number().optional(),
      // @ts-expect-error not an option of VerifiedCacheOptions
      maxAge: z.number().optional(),
    })
  })

  it('refuses a schema yielding another type', () => {
    cache({
      // @ts-expect-error a string is not a number
      max: z.string().optional(),
      maxBytes: z.number().optional(),
      ttl: z.number().optional(),
    })
  })

  it('refuses a schema refusing what the type allows (an optional member made required)', () => {
    cache({
      // @ts-expect-error `max` may be left out
      max: z.number(),
      maxBytes: z.number().optional(),
      ttl: z.number().optional(),
    })
  })
})
