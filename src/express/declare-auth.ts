/**
 * An opt-in for apps that want the last few per cent: `req.auth` declared once on the app's
 * request prototype, so that setting it does not add a property to each request object.
 *
 * Why it matters: Express gives every request object a prototype of its own app
 * (`Object.setPrototypeOf(req, app.request)`), after which V8 no longer shares hidden classes
 * between requests. Each property then added to a request builds a new hidden class and moves the
 * object to it, and every later property read on that request misses V8's caches once more.
 * Counted with callgrind, one such property costs a bare Express request 4-7 % more instructions;
 * reading and writing an accessor declared on the prototype costs nothing measurable
 * (docs/performance.md, Pass 11).
 *
 * @module
 */
import { AuthConfigError } from '../errors.js'
import type { AuthContext } from '../context/types.js'

/** Each request's context, held only as long as the request object lives. */
const contexts = new WeakMap<object, AuthContext | undefined>()

function readAuth(this: object): AuthContext | undefined {
  return contexts.get(this)
}

function writeAuth(this: object, value: AuthContext | undefined): void {
  contexts.set(this, value)
}

/** What {@link declareRequestAuth} needs of an Express 4 or 5 application. */
export interface AppWithRequestPrototype {
  /** The prototype Express gives each request of this app (`app.request`). */
  readonly request: object
}

/**
 * Declares `req.auth` on the app's request prototype as an accessor over a private `WeakMap`, so
 * that `authenticate()` (and anything else that assigns `req.auth`) no longer adds a property to
 * each request. Call it once, on the app created with `express()`, before the app serves; apps
 * mounted under it inherit the declaration. Calling it again on the same app does nothing.
 *
 * What changes for code reading the request: `req.auth` reads and assigns as before, but it is no
 * longer an own property. `Object.hasOwn(req, 'auth')` is false, `'auth' in req` is true even on
 * an anonymous request (test the value instead), `Object.keys(req)` and spreading `req` leave it
 * out, and `delete req.auth` has no effect (assign `undefined` to clear it).
 *
 * @throws AuthConfigError when `app` has no request prototype, or when something else already
 *   declared `auth` on it.
 *
 * @example
 * ```ts
 * const app = express()
 * declareRequestAuth(app)
 * app.use(authenticate({ issuers: [...] }))
 * ```
 */
export function declareRequestAuth(app: AppWithRequestPrototype): void {
  const prototype: unknown = (app as { request?: unknown } | undefined)?.request
  if (typeof prototype !== 'object' || prototype === null) {
    throw new AuthConfigError('app', 'is not an Express application (it has no app.request)')
  }
  const existing = Object.getOwnPropertyDescriptor(prototype, 'auth')
  if (existing?.get === readAuth) return
  if (existing !== undefined) {
    throw new AuthConfigError(
      'app.request.auth',
      'is already declared by something else; jwt-gate does not replace it',
    )
  }
  Object.defineProperty(prototype, 'auth', {
    configurable: true,
    enumerable: false,
    get: readAuth,
    set: writeAuth,
  })
}
