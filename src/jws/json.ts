/**
 * Strict JSON decoding of token segments: valid UTF-8 only (no BOM), a JSON object at the top, no
 * duplicate member names at any depth (RFC 7515 §5.2 allows refusing them, and parsers disagree on
 * which one wins), no `__proto__` member (so later object spreads cannot touch a prototype), and at
 * most {@link MAX_JSON_DEPTH} levels of nesting (so no later recursive walk can exhaust the stack).
 *
 * @module
 */
import { isUtf8 } from 'node:buffer'

/** Deepest nesting of objects and arrays accepted in a token; real tokens use a handful. */
const MAX_JSON_DEPTH = 32

/**
 * The decoded object, deep-frozen (a token's contents are read-only data), or undefined when the
 * bytes are not a strict JSON object.
 */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  // isUtf8 (simdutf) then a plain decode is several times cheaper than a fatal TextDecoder, with
  // the same verdicts: invalid UTF-8 is refused, and a BOM is kept, so JSON.parse refuses it.
  if (!isUtf8(bytes)) return undefined
  const text = (
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  ).toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  // Freezing rides on the strictness walk, which visits every object and array anyway.
  if (hasDuplicateOrProtoMember(text, MAX_JSON_DEPTH, value, true)) return undefined
  return value as Record<string, unknown>
}

/**
 * Whether JSON text that `JSON.parse` accepted (and parsed to `value`) repeats a member name
 * within one object, has a `__proto__` member, or nests deeper than `maxDepth`.
 *
 * Rather than keeping a set of names per object, it counts: the text pass counts member names
 * and measures the nesting, the value pass counts the own keys `JSON.parse` produced. `JSON.parse`
 * keeps one key per distinct name (escapes decoded, so `"a\u0062"` and `"ab"` are one), so the
 * counts differ exactly when some object repeats a name. Both passes are linear, without
 * backtracking and without recursion.
 *
 * @param freeze - also freeze every object and array of `value` on the way.
 */
export function hasDuplicateOrProtoMember(
  text: string,
  maxDepth = Infinity,
  value: unknown = JSON.parse(text),
  freeze = false,
): boolean {
  const names = countMemberNames(text, maxDepth)
  if (names === -1) return true
  let keys = 0
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const current = pending.pop()
    if (typeof current !== 'object' || current === null) continue
    if (freeze) Object.freeze(current)
    if (Array.isArray(current)) {
      pushContainers(current, pending)
      continue
    }
    // JSON.parse defines "__proto__" as an own member: a later spread or merge could take it for
    // the prototype.
    if (Object.hasOwn(current, '__proto__')) return true
    // Object.values rather than a lookup per key: one builtin call, no megamorphic keyed loads.
    // JSON.parse makes every member an own enumerable data property, so the counts are equal.
    const members = Object.values(current)
    keys += members.length
    pushContainers(members, pending)
  }
  return keys !== names
}

/**
 * Queues the objects and arrays among `values`. An indexed loop: `for...of` here allocated an
 * iterator result per element (about 80 bytes per RS256 token, measured with V8's sampling heap
 * profiler).
 */
function pushContainers(values: readonly unknown[], pending: unknown[]): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (typeof value === 'object' && value !== null) pending.push(value)
  }
}

/**
 * Member names in JSON text (strings in name position: after `{` or after `,` inside an object),
 * or -1 when objects and arrays nest deeper than `maxDepth`.
 */
function countMemberNames(text: string, maxDepth: number): number {
  // One entry per open container: true for an object, false for an array.
  const inObject: boolean[] = []
  let expectName = false
  let names = 0
  let i = 0
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (inObject.length >= maxDepth) return -1
      inObject.push(c === 0x7b)
      expectName = c === 0x7b
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      inObject.pop()
      expectName = false
    } else if (c === 0x2c /* , */) {
      expectName = inObject[inObject.length - 1] === true
    } else if (c === 0x22 /* " */) {
      // indexOf finds the next quote far faster than a loop over the characters; a quote preceded
      // by an odd run of backslashes is escaped. The text parsed, so every string is closed.
      let end = text.indexOf('"', i + 1)
      while (escaped(text, end)) end = text.indexOf('"', end + 1)
      if (expectName) {
        names++
        expectName = false
      }
      i = end
    }
    i++
  }
  return names
}

/** Whether the character at `at` follows an odd number of backslashes. */
function escaped(text: string, at: number): boolean {
  let k = at - 1
  while (text.charCodeAt(k) === 0x5c /* \\ */) k--
  return (at - 1 - k) % 2 === 1
}
