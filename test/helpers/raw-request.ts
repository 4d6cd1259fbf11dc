/**
 * One HTTP request with headers exactly as given (a raw list may name a header twice, and the
 * Host header is the caller's: a balancer keeps the public origin's Host while the request goes
 * to one instance's own port), answered with its status, headers and JSON body.
 */
import { request as httpRequest } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'

/** An answer; the body is `{}` when empty. */
export interface RawReply {
  status: number
  headers: IncomingHttpHeaders
  body: { code?: string; error?: string; detail?: string }
}

/** Sends `method url` with `headers` (Host included) and reads the JSON answer. */
export function rawRequest(
  url: string,
  method: string,
  headers: string[] | Record<string, string>,
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => (text += chunk.toString()))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text === '' ? {} : (JSON.parse(text) as RawReply['body']),
        }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}
