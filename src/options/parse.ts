/**
 * Runs the options schema and turns its first issue into an {@link AuthConfigError} naming the
 * option (`issuers[0].key.secret`), with a "did you mean" for a mistyped option name.
 *
 * @module
 */
import { z } from 'zod'
import { AuthConfigError } from '../errors.js'
import { issuerSchema, optionsSchema } from './schema.js'
import { unknownOptionProblem } from './suggest.js'
import type { AuthenticateOptions, IssuerOptions } from './types.js'

/** The options, validated; throws {@link AuthConfigError} on the first mistake. */
export function parseOptions(input: unknown): AuthenticateOptions {
  if (typeof input !== 'object' || input === null) {
    throw new AuthConfigError('(options)', 'an options object is required')
  }
  const result = optionsSchema.safeParse(input)
  if (result.success) return result.data
  throw configError(result.error.issues[0], optionsSchema, '(options)')
}

/**
 * One issuer's options given at run time (an issuer resolver's answer), validated as an entry of
 * `issuers`; the error names the option under `option` (`issuerResolver.resolve().key`).
 */
export function parseIssuerOptions(input: unknown, option: string): IssuerOptions {
  const result = issuerSchema.safeParse(input)
  if (result.success) return result.data
  throw configError(result.error.issues[0], issuerSchema, option)
}

function configError(
  first: z.core.$ZodIssue | undefined,
  schema: z.ZodType,
  root: string,
): AuthConfigError {
  if (first === undefined) return new AuthConfigError(root, 'invalid')
  const { issue, path } = innermostIssue(first, first.path)
  const under = (segments: readonly PropertyKey[]): string =>
    root === '(options)' ? optionPath(segments) || root : subPath(root, segments)
  if (issue.code === 'unrecognized_keys') {
    const name = issue.keys[0] ?? ''
    return new AuthConfigError(
      under([...path, name]),
      unknownOptionProblem(name, objectKeysAt(schema, path)),
    )
  }
  return new AuthConfigError(under(path), issue.message)
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

/** `root.key.secret`, `root.algorithms[1]`: a path under an option named `root`. */
function subPath(root: string, path: readonly PropertyKey[]): string {
  return path
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`))
    .reduce((joined, part) => joined + part, root)
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
