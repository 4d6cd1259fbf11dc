/** `typ` values compare as media types (RFC 7515 §4.1.9): any case, `application/` optional. */
import { describe, expect, it } from 'vitest'
import { createAuthenticator, isAuthError } from '../../src/index.js'
import { hmacSecret } from '../helpers/keys.js'
import { ISSUER, clock, signHmac } from '../helpers/tokens.js'

async function outcome(configured: string[], typ: string): Promise<string> {
  const gate = createAuthenticator({
    issuers: [{ issuer: ISSUER, key: { secret: hmacSecret, encoding: 'utf8' }, typ: configured }],
    clock,
  })
  const token = await signHmac({ typ })
  try {
    await gate.authenticate({ headers: { authorization: `Bearer ${token}` } })
    return 'PASS'
  } catch (error) {
    return isAuthError(error) ? error.code : String(error)
  }
}

describe('typ comparison', () => {
  it.each([
    [['at+jwt'], 'at+jwt'],
    [['at+jwt'], 'application/at+jwt'],
    [['at+jwt'], 'Application/AT+JWT'],
    [['application/at+jwt'], 'at+jwt'],
    [['APPLICATION/at+JWT'], 'application/at+jwt'],
    [[], 'application/jwt'],
    [[], 'JWT'],
  ])('configured %j accepts %s', async (configured, typ) => {
    expect(await outcome(configured, typ)).toBe('PASS')
  })

  it.each([
    [['at+jwt'], 'application/other+jwt'],
    [['at+jwt'], 'text/at+jwt'],
    [['at+jwt'], 'application/application/at+jwt'],
    [['at+jwt'], 'at+jwt '],
  ])('configured %j refuses %s', async (configured, typ) => {
    expect(await outcome(configured, typ)).toBe('ERR_AUTH_TOKEN_HEADER_INVALID')
  })
})
