/**
 * The one HTTP exchange behind every document jwt-gate fetches from a provider (the discovery
 * document, the JWKS, and the POST of token introspection): a deadline over the whole exchange, a
 * bounded body, and no redirects.
 *
 * @module
 */

/** What a bounded fetch brought back: the status, the headers and the body as text. */
export interface FetchedDocument {
  readonly status: number
  readonly headers: Headers
  readonly text: string
}

/** The limits of one fetch. */
export interface FetchLimits {
  /** Deadline of the whole exchange (connect, headers, body), in ms. */
  readonly timeout: number
  /** Largest body read, in bytes. */
  readonly maxBytes: number
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** A request body, which makes the request a POST (token introspection); GET without one. */
  readonly body?: string | undefined
}

/**
 * A failure of the exchange that jwt-gate decided (deadline, size, redirect), as opposed to an HTTP
 * error status or a network error (fetch's own `TypeError`).
 */
export class FetchFailedError extends Error {
  /** Whether the server did answer (a redirect, an oversized body), rather than time out. */
  readonly answered: boolean

  constructor(message: string, answered: boolean) {
    super(message)
    this.answered = answered
  }
}

/**
 * GETs `url` within `limits`. A redirect is an error (never followed: a provider that moved must be
 * configured by its new URL), and so are an oversized body and the deadline.
 *
 * The deadline is our own timer, and it settles the exchange itself: Node's
 * `AbortSignal.timeout()` and the signal fetch derives from it are held weakly, so a garbage
 * collection during a slow body can drop them, and the read would then never end (an endpoint
 * trickling a byte at a time would hold requests forever).
 */
export async function fetchBounded(url: URL, limits: FetchLimits): Promise<FetchedDocument> {
  const deadline = new AbortController()
  const timer = setTimeout(
    () => deadline.abort(new FetchFailedError(`timed out after ${limits.timeout} ms`, false)),
    limits.timeout,
  )
  try {
    const request = fetch(url, {
      method: limits.body === undefined ? 'GET' : 'POST',
      ...(limits.body === undefined ? {} : { body: limits.body }),
      headers: { accept: 'application/json, application/jwk-set+json', ...limits.headers },
      signal: deadline.signal,
      redirect: 'manual',
    })
    const response = await Promise.race([request, rejectOnAbort(deadline.signal)])
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel()
      throw new FetchFailedError(
        `redirected (HTTP ${response.status}); redirects are not followed`,
        true,
      )
    }
    const text = await readLimited(response, limits.maxBytes, deadline.signal)
    return { status: response.status, headers: response.headers, text }
  } finally {
    clearTimeout(timer)
  }
}

/** A promise that rejects with the signal's reason once it aborts, and never resolves. */
function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })
  })
}

/** The body as text, refused past `maxBytes`; the reader is cancelled when `deadline` fires. */
async function readLimited(
  response: Response,
  maxBytes: number,
  deadline: AbortSignal,
): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel()
    throw new FetchFailedError(`response larger than ${maxBytes} bytes`, true)
  }
  if (response.body === null) return ''
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const cancel = (): void => void reader.cancel().catch(() => undefined)
  deadline.addEventListener('abort', cancel, { once: true })
  try {
    return await readAll(reader, maxBytes, deadline)
  } finally {
    deadline.removeEventListener('abort', cancel)
  }
}

async function readAll(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
  deadline: AbortSignal,
): Promise<string> {
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    // A cancelled reader ends as if the body were complete: the deadline, not the body, decides.
    if (deadline.aborted) throw deadline.reason as Error
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw new FetchFailedError(`response larger than ${maxBytes} bytes`, true)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The failure in a few words: the error's message, and the system code behind "fetch failed". */
export function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error.cause as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? `${error.message} (${code})` : error.message
}

/** A URL as it may appear in a message: origin and path, never the query (it may hold a key). */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`
}
