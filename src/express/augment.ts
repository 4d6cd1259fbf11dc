/**
 * Types `req.auth` on every Express request, by declaration merging. Apps type their own claims
 * and user through the `AuthTypes` interface (see `context/types.ts`).
 *
 * @module
 */
import type { AuthContext } from '../context/types.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * Set by jwt-gate's `authenticate()`: the nearest gate's context, undefined when that gate
       * left the request anonymous (optional mode).
       */
      auth?: AuthContext | undefined
    }
  }
}

export {}
