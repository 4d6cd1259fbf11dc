import { describe, expect, it } from 'vitest'
import { variableForOption } from '../../example-app/app/option-variable.js'

describe('variableForOption', () => {
  it.each([
    ['issuers[0].key.pem', { JWT_PUBLIC_KEY_FILE: '/k.pem' }, 'JWT_PUBLIC_KEY_FILE'],
    ['issuers[0].key', { JWT_SECRET: 's' }, 'JWT_SECRET'],
    [
      'issuers[0].key.ed25519',
      { CROSS_LOGIN_JWT_PUBLIC_KEY: 'a', JWT_PUBLIC_KEY: 'b' },
      'CROSS_LOGIN_JWT_PUBLIC_KEY',
    ],
    [
      'issuers[1].key.ed25519',
      { CROSS_LOGIN_JWT_PUBLIC_KEY: 'a', JWT_PUBLIC_KEY: 'b' },
      'JWT_PUBLIC_KEY',
    ],
    ['issuers[0].algorithms', {}, 'JWT_ALGORITHMS'],
    ['issuers[0].algorithms[1]', {}, 'JWT_ALGORITHMS'],
    ['issuers[0].audience', {}, 'JWT_AUDIENCE'],
    ['issuers[0].clockTolerance', {}, 'JWT_CLOCK_TOLERANCE'],
    ['issuers[0].maxTokenAge', {}, 'CONFIG_FILE'],
    ['issuers[0].issuer', {}, 'JWT_ISSUER'],
    ['issuers[0].issuer', { CONFIG_FILE: '/c.json' }, 'CONFIG_FILE'],
    ['cookie.name', { JWT_COOKIE_NAME: 'x' }, 'JWT_COOKIE_NAME'],
    ['users.store', { DATABASE_URL: 'postgres://h/d' }, 'DATABASE_URL'],
    ['users.store', { USERS_DB: '/u' }, 'USERS_DB'],
    ['realm', {}, undefined],
    ['issuers[0].typ', {}, undefined],
  ])('maps %s with %j to %s', (option, env, variable) => {
    expect(variableForOption(option, env)).toBe(variable)
  })
})
