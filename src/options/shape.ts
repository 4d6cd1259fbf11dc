/**
 * How the option types of `types.ts` and the zod schemas of `schema.ts` stay one description: each
 * options object's schema is built by {@link optionsObject}, which the compiler checks against the
 * public type member by member. The types stay hand-written because they carry the TSDoc (unit and
 * default of each option) that editors and typedoc show; a type derived from the schema would
 * lose it.
 *
 * @module
 */
import { z } from 'zod'

/**
 * A schema for each member of T, and none for anything else. Each yields only values of the
 * member's type, so a parsed object is a T without a cast.
 */
type ShapeOf<T> = { [K in keyof T]-?: z.ZodType<T[K]> }

/**
 * The other direction: each member's schema accepts every value its type allows (an optional
 * member accepts `undefined`), so options that compile are never refused for their type alone.
 * A member that fails this becomes `never`, and the compiler names it.
 */
type AcceptsEveryValue<S, T> = {
  [K in keyof S]: K extends keyof T ? ([T[K]] extends [z.input<S[K]>] ? S[K] : never) : never
}

/**
 * `z.strictObject(shape)` for the public options type T: unknown members are refused at run time,
 * and the shape is checked against T at compile time (a member missing, extra, or of another
 * type does not compile). Called as `optionsObject<IssuerOptions>()({ ... })`.
 */
export function optionsObject<T>() {
  return <S extends ShapeOf<T>>(shape: S & AcceptsEveryValue<S, T>) => z.strictObject(shape)
}
