import { describe, expect, it } from 'vitest'
import request from 'supertest'
import type { Request, RequestHandler } from 'express'
import { EXPRESS_VERSIONS, expressOf } from '../helpers/app.js'
import { ed25519, rawEd25519Base64 } from '../helpers/keys.js'
import { clock, ISSUER, sign } from '../helpers/tokens.js'
import {
  AuthConfigError,
  authenticate,
  authErrorHandler,
  declareRequestAuth,
} from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/index.js'

const options: AuthenticateOptions = {
  issuers: [{ issuer: ISSUER, key: { ed25519: rawEd25519Base64(ed25519) } }],
  clock,
  credentials: 'optional',
}

/** What a handler saw of `req.auth`. */
function describeAuth(req: Request) {
  return {
    subject: req.auth?.subject ?? null,
    own: Object.hasOwn(req, 'auth'),
  }
}

/** What `call` threw (undefined when it returned). */
function thrownBy(call: () => void): unknown {
  try {
    call()
  } catch (error) {
    return error
  }
  return undefined
}

const bearer = async (sub: string) =>
  `Bearer ${await sign(ed25519.privateKey, { claims: { sub } })}`

describe.each(EXPRESS_VERSIONS)('declareRequestAuth() on %s', (version) => {
  const factory = expressOf(version)

  function app(declare: boolean, before: RequestHandler[] = []) {
    const a = factory()
    if (declare) declareRequestAuth(a)
    a.use(...before, authenticate(options))
    a.get('/', (req, res) => {
      res.json(describeAuth(req))
    })
    a.use(authErrorHandler())
    return a
  }

  it('gives the handler the context without an own property on the request', async () => {
    const res = await request(app(true))
      .get('/')
      .set('Authorization', await bearer('alice'))
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ subject: 'alice', own: false })
  })

  it('leaves the default an own property', async () => {
    const res = await request(app(false))
      .get('/')
      .set('Authorization', await bearer('alice'))
    expect(res.body).toEqual({ subject: 'alice', own: true })
  })

  it('reads undefined on an anonymous request', async () => {
    const res = await request(app(true)).get('/')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ subject: null, own: false })
  })

  it('keeps concurrent requests apart', async () => {
    const target = app(true)
    const subjects = Array.from({ length: 20 }, (_, i) => `user-${i}`)
    const answers = await Promise.all(
      subjects.map(async (sub) =>
        request(target)
          .get('/')
          .set('Authorization', await bearer(sub)),
      ),
    )
    expect(answers.map((res) => res.body.subject)).toEqual(subjects)
  })

  it('still rejects a bad token, and the handler does not run', async () => {
    const a = factory()
    declareRequestAuth(a)
    let ran = 0
    a.use(authenticate({ ...options, credentials: 'required' }))
    a.get('/', (_req, res) => {
      ran++
      res.json({})
    })
    a.use(authErrorHandler())
    const res = await request(a).get('/').set('Authorization', 'Bearer not.a.token')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /)
    expect(ran).toBe(0)
  })

  it('lets other middleware assign req.auth as before', async () => {
    const a = factory()
    declareRequestAuth(a)
    a.use((req, _res, next) => {
      ;(req as { auth?: unknown }).auth = { subject: 'set-by-hand' }
      next()
    })
    a.get('/', (req, res) => {
      res.json(describeAuth(req))
    })
    const res = await request(a).get('/')
    expect(res.body).toEqual({ subject: 'set-by-hand', own: false })
  })

  it('reaches an app mounted under the declaring app, and back', async () => {
    const parent = factory()
    declareRequestAuth(parent)
    const child = factory()
    child.use(authenticate(options))
    child.get('/inner', (req, res) => {
      res.json(describeAuth(req))
    })
    parent.use('/child', child)
    // Reached after the mounted app passed the request on: Express restored the parent's prototype.
    parent.get('/child/outer', (req, res) => {
      res.json(describeAuth(req))
    })
    const inner = await request(parent)
      .get('/child/inner')
      .set('Authorization', await bearer('bob'))
    expect(inner.body).toEqual({ subject: 'bob', own: false })
    const outer = await request(parent)
      .get('/child/outer')
      .set('Authorization', await bearer('carol'))
    expect(outer.body).toEqual({ subject: 'carol', own: false })
  })

  it('does nothing when called twice', async () => {
    const a = factory()
    declareRequestAuth(a)
    expect(() => declareRequestAuth(a)).not.toThrow()
    a.use(authenticate(options))
    a.get('/', (req, res) => {
      res.json(describeAuth(req))
    })
    const res = await request(a)
      .get('/')
      .set('Authorization', await bearer('dave'))
    expect(res.body).toEqual({ subject: 'dave', own: false })
  })

  it('refuses to replace an auth property declared by something else', () => {
    const a = factory()
    Object.defineProperty(a.request, 'auth', { value: 'theirs', configurable: true })
    const error = thrownBy(() => declareRequestAuth(a))
    expect(error).toBeInstanceOf(AuthConfigError)
    expect((error as AuthConfigError).option).toBe('app.request.auth')
    expect(Object.getOwnPropertyDescriptor(a.request, 'auth')?.value).toBe('theirs')
  })
})

it('refuses what is not an Express application, naming the option', () => {
  for (const notAnApp of [{}, { request: null }, undefined]) {
    const error = thrownBy(() => declareRequestAuth(notAnApp as never))
    expect(error).toBeInstanceOf(AuthConfigError)
    expect((error as AuthConfigError).option).toBe('app')
  }
})
