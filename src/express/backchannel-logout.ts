/**
 * The back-channel logout endpoint as Express middleware: reads the form body (or takes the one a
 * body parser already made), hands it to the framework-free receiver (`logout/receiver.ts`) and
 * writes its answer. Mount it on a POST route: `app.post('/backchannel-logout', gate.backchannelLogout(…))`.
 *
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { LogoutReceiver } from '../logout/receiver.js'
import { isFormContentType } from '../logout/receiver.js'

/** A logout token is about 1 KiB; a form many times that is not a provider's. */
const MAX_BODY_BYTES = 64 * 1024

/** The form a body parser left in `req.body`, as parameters (undefined if it is not a flat form). */
function parsedForm(body: unknown): URLSearchParams | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const form = new URLSearchParams()
  for (const [name, value] of Object.entries(body)) {
    const values: unknown[] = Array.isArray(value) ? value : [value]
    for (const one of values) {
      if (typeof one !== 'string') return undefined
      form.append(name, one)
    }
  }
  return form
}

/** Reads the body itself, up to {@link MAX_BODY_BYTES}; undefined when it is longer or broken. */
function readForm(req: Request): Promise<URLSearchParams | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        resolve(undefined)
        req.removeAllListeners('data')
        req.resume()
      } else chunks.push(chunk)
    })
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))))
    req.on('error', () => resolve(undefined))
  })
}

async function formOf(req: Request): Promise<URLSearchParams | undefined> {
  if (req.body !== undefined) return parsedForm(req.body)
  if (!isFormContentType(req.headers['content-type'])) return undefined
  return readForm(req)
}

/** The handler of a gate's `backchannelLogout()`. */
export function backchannelLogoutHandler(receiver: LogoutReceiver): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    void formOf(req)
      .then((form) => receiver.receive({ contentType: req.headers['content-type'], form }))
      .then((answer) => {
        res.status(answer.status).set(answer.headers)
        if (answer.body === undefined) res.end()
        else res.send(answer.body)
      })
      .catch(next)
  }
}
