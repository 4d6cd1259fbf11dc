/**
 * Strict JSON decoding of token segments: valid UTF-8 only (no BOM), a JSON object at the top, no
 * duplicate member names at any depth (RFC 7515 §5.2 allows refusing them, and parsers disagree on
 * which one wins), no `__proto__` member (so later object spreads cannot touch a prototype), and at
 * most {@link MAX_JSON_DEPTH} levels of nesting (so no later recursive walk can exhaust the stack).
 *
 * @module
 */

/** Deepest nesting of objects and arrays accepted in a token; real tokens use a handful. */
export const MAX_JSON_DEPTH = 32

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The decoded object, or undefined when the bytes are not a strict JSON object. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  let text: string
  let value: unknown
  try {
    text = utf8.decode(bytes)
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  if (hasDuplicateOrProtoMember(text, MAX_JSON_DEPTH)) return undefined
  return value as Record<string, unknown>
}

/**
 * Scans text that `JSON.parse` already accepted. One pass, no backtracking: a stack of member-name
 * sets, one per open object (`null` for arrays). Also true when nesting exceeds `maxDepth`.
 */
export function hasDuplicateOrProtoMember(text: string, maxDepth = Infinity): boolean {
  const stack: (Set<string> | null)[] = []
  let expectName = false
  let i = 0
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === 0x7b /* { */) {
      if (stack.length >= maxDepth) return true
      stack.push(new Set())
      expectName = true
      i++
    } else if (c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) return true
      stack.push(null)
      expectName = false
      i++
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop()
      expectName = false
      i++
    } else if (c === 0x2c /* , */) {
      expectName = stack[stack.length - 1] instanceof Set
      i++
    } else if (c === 0x22 /* " */) {
      let end = i + 1
      let escaped = false
      while (text.charCodeAt(end) !== 0x22) {
        if (text.charCodeAt(end) === 0x5c) {
          escaped = true
          end += 2
        } else {
          end++
        }
      }
      if (expectName) {
        // Without a backslash the raw text is the name; escaped names are decoded, so that
        // "__pr\u006fto__" or "a\u0062" are compared as what they mean.
        const name = escaped
          ? (JSON.parse(text.slice(i, end + 1)) as string)
          : text.slice(i + 1, end)
        const names = stack[stack.length - 1]
        if (name === '__proto__' || names?.has(name) === true) return true
        names?.add(name)
        expectName = false
      }
      i = end + 1
    } else {
      i++
    }
  }
  return false
}
