import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { parse as parseCookies } from 'cookie'
import { countCookies, readCookie } from '../../src/request/cookie-header.js'
import { extractToken, fromAuthorizationHeader } from '../../src/request/extract.js'
import type { ExtractionPolicy } from '../../src/request/extract.js'
import type { AuthError } from '../../src/index.js'

const both: ExtractionPolicy = {
  sources: ['header', 'cookie'],
  cookie: { name: 'access_cc', signed: false },
  conflict: 'reject',
  extractToken: undefined,
}

describe('extractToken (framework-free)', () => {
  it('works on a plain header record, no Express needed', async () => {
    await expect(
      extractToken({ headers: { authorization: 'Bearer abc' }, cookies: {} }, both),
    ).resolves.toEqual({ token: 'abc', source: 'header' })
  })

  it('detects two Authorization lines in rawHeaders', () => {
    expect(() =>
      fromAuthorizationHeader({
        headers: { authorization: 'Bearer a' },
        rawHeaders: ['Authorization', 'Bearer a', 'authorization', 'Bearer b'],
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_AUTH_CREDENTIALS_AMBIGUOUS', status: 400 }))
  })

  it('uses the custom extractor, and refuses its token beside a source token', async () => {
    const policy: ExtractionPolicy = {
      ...both,
      extractToken: (req) => (req.query as { t?: string } | undefined)?.t,
    }
    await expect(
      extractToken({ headers: {}, cookies: {}, query: { t: 'q' } }, policy),
    ).resolves.toEqual({
      token: 'q',
      source: 'custom',
    })
    // RFC 6750 §2: one method per request.
    await expect(
      extractToken(
        { headers: { authorization: 'Bearer h' }, cookies: {}, query: { t: 'q' } },
        policy,
      ),
    ).rejects.toMatchObject({ code: 'ERR_AUTH_CREDENTIALS_AMBIGUOUS', status: 400 })
    await expect(
      extractToken({ headers: { authorization: 'Bearer h' }, cookies: {} }, policy),
    ).resolves.toEqual({ token: 'h', source: 'header' })
  })

  it('treats an empty cookie as absent and a JSON cookie as malformed', async () => {
    await expect(
      extractToken({ headers: {}, cookies: { access_cc: '' } }, both),
    ).resolves.toBeUndefined()
    const error = await extractToken({ headers: {}, cookies: { access_cc: { j: 1 } } }, both).catch(
      (e: AuthError) => e,
    )
    expect(error).toMatchObject({ code: 'ERR_AUTH_TOKEN_MALFORMED', status: 401 })
  })

  it('never reads a cookie through the prototype chain', async () => {
    const policy: ExtractionPolicy = { ...both, cookie: { name: 'toString', signed: false } }
    await expect(extractToken({ headers: {}, cookies: {} }, policy)).resolves.toBeUndefined()
  })
})

describe('countCookies', () => {
  /** The definition: split into pairs, trim each name, compare exactly. */
  const reference = (text: string, name: string): number =>
    text.split(';').filter((pair) => {
      const eq = pair.indexOf('=')
      return eq !== -1 && pair.slice(0, eq).replace(/^[ \t]+|[ \t]+$/g, '') === name
    }).length

  it('agrees with splitting the header into pairs', () => {
    const piece = fc.constantFrom(
      'access_cc',
      'a',
      '=',
      ';',
      ' ',
      '\t',
      'x',
      'access_c',
      'c=1',
      '"',
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (parts) => {
        const text = parts.join('')
        expect(countCookies(text, 'access_cc')).toBe(reference(text, 'access_cc'))
      }),
      { numRuns: 5000 },
    )
  })

  it('counts a name only at the start of a pair', () => {
    expect(countCookies('x=access_cc=1; access_cc=2;access_cc =3', 'access_cc')).toBe(2)
    expect(countCookies(['access_cc=1', 'access_cc=2'], 'access_cc')).toBe(2)
  })
})

describe('readCookie', () => {
  const piece = fc.constantFrom(
    'access_cc',
    'access_cc=',
    'a',
    '=',
    ';',
    ' ',
    '\t',
    '"',
    '%',
    '%41',
    '%E0%A4',
    'eyJ.x-y_z',
    'x',
    'c=1',
  )

  it('reads what cookie-parser reads, and refuses a cookie sent twice', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (parts) => {
        const text = parts.join('')
        if (countCookies(text, 'access_cc') > 1) {
          expect(() => readCookie(text, 'access_cc')).toThrow(/more than once/)
        } else {
          expect(readCookie(text, 'access_cc')).toBe(parseCookies(text)['access_cc'])
        }
      }),
      { numRuns: 5000 },
    )
  })

  it('trims, unquotes and percent-decodes like cookie-parser', () => {
    expect(readCookie('a=1; access_cc = "abc" ;b=2', 'access_cc')).toBe('abc')
    expect(readCookie('access_cc=a%2Eb', 'access_cc')).toBe('a.b')
    expect(readCookie('access_cc=a%E0b', 'access_cc')).toBe('a%E0b')
    expect(readCookie('xaccess_cc=1; access_c=2', 'access_cc')).toBeUndefined()
    expect(readCookie(['a=1', 'access_cc=t'], 'access_cc')).toBe('t')
  })
})
