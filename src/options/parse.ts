/**
 * Runs the options schema and turns its first issue into an {@link AuthConfigError} naming the
 * option (`issuers[0].key.secret`), with a "did you mean" for a mistyped option name.
 *
 * @module
 */
import { z } from 'zod'
import { AuthConfigError } from '../errors.js'
import { optionsSchema } from './schema.js'
import { unknownOptionProblem } from './suggest.js'
import type { AuthenticateOptions } from './types.js'

/** The options, validated; throws {@link AuthConfigError} on the first mistake. */
export function parseOptions(input: unknown): AuthenticateOptions {
  if (typeof input !== 'object' || input === null) {
    throw new AuthConfigError('(options)', 'an options object is required')
  }
  const result = optionsSchema.safeParse(input)
  if (result.success) return result.data
  throw configError(result.error.issues[0])
}

function configError(first: z.core.$ZodIssue | undefined): AuthConfigError {
  if (first === undefined) return new AuthConfigError('(options)', 'invalid')
  const { issue, path } = innermostIssue(first, first.path)
  if (issue.code === 'unrecognized_keys') {
    const name = issue.keys[0] ?? ''
    return new AuthConfigError(
      optionPath([...path, name]),
      unknownOptionProblem(name, objectKeysAt(optionsSchema, path)),
    )
  }
  return new AuthConfigError(optionPath(path) || '(options)', issue.message)
}

/**
 * A union's own issue says only what the union expects. When the value had the shape of one
 * branch and failed inside it (`cache: { max: 'x' }`), that inner issue is the useful one.
 */
function innermostIssue(
  issue: z.core.$ZodIssue,
  path: readonly PropertyKey[],
): { issue: z.core.$ZodIssue; path: readonly PropertyKey[] } {
  if (issue.code !== 'invalid_union') return { issue, path }
  const inner = issue.errors
    .map((branch) => branch[0])
    .filter((candidate) => candidate !== undefined && candidate.path.length > 0)
    .sort((a, b) => b!.path.length - a!.path.length)[0]
  return inner === undefined ? { issue, path } : innermostIssue(inner, [...path, ...inner.path])
}

/** `issuers[0].key.secret` from a zod path. */
function optionPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (joined, segment) =>
      typeof segment === 'number'
        ? `${joined}[${segment}]`
        : joined === ''
          ? String(segment)
          : `${joined}.${String(segment)}`,
    '',
  )
}

/** The option names an object schema at `path` knows, for "did you mean". */
function objectKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const node = path.reduce<unknown>((current, segment) => childSchema(current, segment), schema)
  return objectSchemasIn(node).flatMap((object) => Object.keys(object.shape))
}

function objectSchemasIn(node: unknown): z.ZodObject[] {
  if (node instanceof z.ZodOptional) return objectSchemasIn(node.unwrap())
  if (node instanceof z.ZodUnion) return node.options.flatMap(objectSchemasIn)
  return node instanceof z.ZodObject ? [node] : []
}

function childSchema(node: unknown, segment: PropertyKey): unknown {
  if (node instanceof z.ZodOptional) return childSchema(node.unwrap(), segment)
  if (typeof segment === 'number') return node instanceof z.ZodArray ? node.element : undefined
  return objectSchemasIn(node)
    .map((object): unknown => object.shape[String(segment)])
    .find((child) => child !== undefined)
}
