import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeCompact } from '../../src/jws/compact.js'
import { hasDuplicateOrProtoMember, parseJsonObject } from '../../src/jws/json.js'
import { AuthError } from '../../src/index.js'

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const header = b64({ alg: 'EdDSA' })
const payload = b64({ sub: 'a' })
const sig = b64('signature-bytes')

function codeOf(token: string, max = 8192): string {
  try {
    decodeCompact(token, max)
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError)
    return (error as AuthError).code
  }
  return 'PASS'
}

describe('decodeCompact', () => {
  it('decodes a well-formed token once', () => {
    const decoded = decodeCompact(`${header}.${payload}.${sig}`, 8192)
    expect(decoded.header).toEqual({ alg: 'EdDSA' })
    expect(decoded.payload).toEqual({ sub: 'a' })
  })

  it('hands out header and payload deep-frozen', () => {
    const nested = b64({ sub: 'a', roles: ['x'], org: { teams: [{ name: 't' }] } })
    const { header: h, payload: p } = decodeCompact(`${header}.${nested}.${sig}`, 8192)
    const org = p.org as { teams: { name: string }[] }
    for (const value of [h, p, p.roles, org, org.teams, org.teams[0]]) {
      expect(Object.isFrozen(value)).toBe(true)
    }
  })

  it.each([
    ['empty', ''],
    ['one part', header],
    ['two parts', `${header}.${payload}`],
    ['four parts', `${header}.${payload}.${sig}.x`],
    ['empty signature', `${header}.${payload}.`],
    ['empty header', `.${payload}.${sig}`],
    ['empty payload', `${header}..${sig}`],
    ['padding', `${header}.${payload}=.${sig}`],
    ['standard base64 characters', `${header}.${payload}.${sig.slice(0, -2)}+/`],
    ['whitespace', `${header}.${payload} .${sig}`],
    ['percent-encoding', `${header}.${payload}.${sig.slice(0, -3)}%2E`],
    ['impossible length', `${header}.${payload}.${sig}A`.replace(/.$/, 'AAAAA')],
    ['non-canonical trailing bits', `${header}.${b64('ab').slice(0, -1)}h.${sig}`],
    ['payload that is not JSON', `${header}.${b64('not json')}.${sig}`],
    ['payload that is an array', `${header}.${b64([1])}.${sig}`],
    ['payload that is a string', `${header}.${b64('"x"')}.${sig}`],
    [
      'payload with invalid UTF-8',
      `${header}.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${sig}`,
    ],
    [
      'payload with a BOM',
      `${header}.${Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]).toString('base64url')}.${sig}`,
    ],
    ['duplicate member names', `${header}.${b64('{"sub":"a","sub":"admin"}')}.${sig}`],
    ['nested duplicate member names', `${header}.${b64('{"a":{"b":1,"b":2}}')}.${sig}`],
    ['a __proto__ member', `${header}.${b64('{"__proto__":{"admin":true}}')}.${sig}`],
    [
      'nesting deeper than 32 levels',
      `${header}.${b64(`{"a":${'['.repeat(32)}${']'.repeat(32)}}`)}.${sig}`,
    ],
    ['JSON serialisation', JSON.stringify({ protected: header, payload, signature: sig })],
  ])('refuses %s as malformed', (_name, token) => {
    expect(codeOf(token)).toBe('ERR_AUTH_TOKEN_MALFORMED')
  })

  it.each([
    ['alg none', { alg: 'none' }],
    ['alg NoNe', { alg: 'NoNe' }],
    ['missing alg', { typ: 'JWT' }],
    ['null alg', { alg: null }],
    ['numeric alg', { alg: 256 }],
    ['crit', { alg: 'EdDSA', crit: ['exp'] }],
    ['empty crit', { alg: 'EdDSA', crit: [] }],
    ['b64 false', { alg: 'EdDSA', b64: false }],
    ['zip', { alg: 'EdDSA', zip: 'DEF' }],
    ['nested JWT', { alg: 'EdDSA', cty: 'JWT' }],
    ['unexpected typ', { alg: 'EdDSA', typ: 'at+jwt' }],
    ['non-string typ', { alg: 'EdDSA', typ: 1 }],
    ['non-string kid', { alg: 'EdDSA', kid: ['a'] }],
    ['enc (JWE header)', { alg: 'dir', enc: 'A256GCM' }],
  ])('refuses a header with %s', (_name, h) => {
    expect(codeOf(`${b64(h)}.${payload}.${sig}`)).toBe('ERR_AUTH_TOKEN_HEADER_INVALID')
  })

  it('refuses five-part JWE tokens before decoding them', () => {
    expect(codeOf('a.b.c.d.e')).toBe('ERR_AUTH_TOKEN_HEADER_INVALID')
  })

  it('accepts typ JWT in any case and application/jwt', () => {
    for (const typ of ['JWT', 'jwt', 'application/JWT']) {
      expect(codeOf(`${b64({ alg: 'EdDSA', typ })}.${payload}.${sig}`)).toBe('PASS')
    }
  })

  it('accepts configured extra typ values', () => {
    const token = `${b64({ alg: 'EdDSA', typ: 'at+jwt' })}.${payload}.${sig}`
    expect(() => decodeCompact(token, 8192, new Set(['at+jwt']))).not.toThrow()
  })

  it('enforces the maximum length before anything else', () => {
    expect(codeOf(`${header}.${payload}.${sig}`, 20)).toBe('ERR_AUTH_TOKEN_TOO_LONG')
  })

  it('stays linear on long adversarial input', () => {
    const started = performance.now()
    for (const token of ['a'.repeat(60_000), `${'.'.repeat(30_000)}`, `${'a.'.repeat(20_000)}`]) {
      codeOf(token, 65_536)
    }
    // Not a benchmark: a generous bound that only a catastrophic (super-linear) path would break.
    expect(performance.now() - started).toBeLessThan(2_000)
  })
})

describe('strict JSON', () => {
  it('finds duplicates only among member names, not values', () => {
    expect(hasDuplicateOrProtoMember('{"a":"a","b":["a","a"],"c":{"a":1}}')).toBe(false)
    expect(hasDuplicateOrProtoMember('{"a":1,"b":{"x":1},"a":2}')).toBe(true)
    expect(hasDuplicateOrProtoMember('{"a\\u0062":1,"ab":2}')).toBe(true)
    expect(hasDuplicateOrProtoMember('{"s":"\\"a\\":1,","a":1}')).toBe(false)
    expect(hasDuplicateOrProtoMember('[{"a":1},{"a":1}]')).toBe(false)
  })

  it('accepts nesting up to 32 levels', () => {
    expect(parseJsonObject(Buffer.from(`{"a":${'['.repeat(31)}${']'.repeat(31)}}`))).toBeDefined()
  })

  it('leaves no prototype polluted', () => {
    parseJsonObject(Buffer.from('{"constructor":{"prototype":{"polluted":1}}}'))
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('fast paths agree with their reference definitions', () => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

  it('a segment is canonical exactly when re-encoding gives it back', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...alphabet), minLength: 2, maxLength: 12 }),
        (segment) => {
          fc.pre(segment.length % 4 !== 1)
          const reference = Buffer.from(segment, 'base64url').toString('base64url') === segment
          const token = `${header}.${segment}.${sig}`
          let encodingRefused = false
          try {
            decodeCompact(token, 8192)
          } catch (error) {
            // The encoding check says "malformed token"; a canonical segment that is not JSON gets
            // past it and fails later as "malformed token payload".
            encodingRefused = (error as AuthError).message === 'malformed token'
          }
          expect(!encodingRefused).toBe(reference)
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('the duplicate-member scan decodes names exactly as JSON.parse does', () => {
    const reference = (text: string): boolean => {
      // The scan as first written: every member name decoded through JSON.parse.
      let i = 0
      const stack: (Set<string> | null)[] = []
      let expectName = false
      while (i < text.length) {
        const c = text[i]
        if (c === '{') {
          stack.push(new Set())
          expectName = true
          i++
        } else if (c === '[') {
          stack.push(null)
          expectName = false
          i++
        } else if (c === '}' || c === ']') {
          stack.pop()
          expectName = false
          i++
        } else if (c === ',') {
          expectName = stack[stack.length - 1] instanceof Set
          i++
        } else if (c === '"') {
          let end = i + 1
          while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1
          if (expectName) {
            const name = JSON.parse(text.slice(i, end + 1)) as string
            const set = stack[stack.length - 1]
            if (name === '__proto__' || set?.has(name) === true) return true
            set?.add(name)
            expectName = false
          }
          i = end + 1
        } else i++
      }
      return false
    }
    const key = fc.oneof(
      fc.constantFrom('a', 'b', '__proto__', 'a\\u0062', 'ab', '\\"'),
      fc.string({ maxLength: 3 }),
    )
    const json = fc
      .array(
        fc.tuple(key, fc.oneof(fc.integer(), fc.constant('{"a":1,"a":2}'), fc.constant('[]'))),
        { maxLength: 5 },
      )
      .map(
        (members) => `{${members.map(([k, v]) => `"${k.replace(/^"$/, '\\"')}":${v}`).join(',')}}`,
      )
    fc.assert(
      fc.property(json, (text) => {
        let valid = true
        try {
          JSON.parse(text)
        } catch {
          valid = false
        }
        fc.pre(valid)
        expect(hasDuplicateOrProtoMember(text)).toBe(reference(text))
      }),
      { numRuns: 2000 },
    )
  })
})
