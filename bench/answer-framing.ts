/**
 * Reads HTTP/1.1 answers from a raw keep-alive socket for the benchmark's own load generators
 * (`bench/paced.ts`, `bench/interleaved.ts`), one request in flight per connection. Only
 * Content-Length framing is understood: every benchmark server answers that way, and anything else
 * (a chunked or unframed answer, a head over 16 KiB, bytes beyond the answer) breaks the framing.
 */

import type { Socket } from 'node:net'

/** What a connection keeps of the answer it is reading. */
export interface AnswerFraming {
  /** Bytes of the answer so far, until complete. */
  pending: Buffer | undefined
  /** Total length of the answer (head + body) once its head is parsed, else -1. */
  expected: number
  /** The answer's status code, once its head is parsed. */
  status: number
}

/** The largest response head accepted (bytes). */
const MAX_HEAD = 16 * 1024
const HEAD_END = Buffer.from('\r\n\r\n')
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i

/** Resets the framing for the next answer. */
export function expectAnswer(framing: AnswerFraming): void {
  framing.pending = undefined
  framing.expected = -1
}

/** A connection of the generators: its socket, whether a request is in flight, its framing. */
export interface AnswerReader extends AnswerFraming {
  socket: Socket
  busy: boolean
}

/**
 * Takes bytes that arrived on `conn`. Returns true once the answer to the request in flight is
 * whole (its status in `conn.status`); destroys the socket when the framing is lost, or when no
 * request was in flight (bytes nobody asked for).
 */
export function answerCompleted(conn: AnswerReader, chunk: Buffer): boolean {
  if (!conn.busy) {
    conn.socket.destroy()
    return false
  }
  const read = readAnswer(conn, chunk)
  if (read === 'broken') conn.socket.destroy()
  return read === 'done'
}

/**
 * Adds `chunk` to the answer being read: `more` while it is incomplete, `done` once it is whole
 * (its status in `framing.status`), `broken` when the framing is lost and the connection must go.
 */
function readAnswer(framing: AnswerFraming, chunk: Buffer): 'more' | 'done' | 'broken' {
  const data = framing.pending === undefined ? chunk : Buffer.concat([framing.pending, chunk])
  if (framing.expected < 0) {
    const headEnd = data.indexOf(HEAD_END)
    if (headEnd < 0) {
      if (data.length > MAX_HEAD) return 'broken'
      framing.pending = data
      return 'more'
    }
    const head = data.toString('latin1', 0, headEnd)
    const length = CONTENT_LENGTH.exec(head)
    if (length === null || !head.startsWith('HTTP/1.1 ')) return 'broken'
    framing.status = Number(head.slice(9, 12))
    framing.expected = headEnd + HEAD_END.length + Number(length[1])
  }
  if (data.length < framing.expected) {
    framing.pending = data
    return 'more'
  }
  // More bytes than the answer: a second answer to one request.
  return data.length > framing.expected ? 'broken' : 'done'
}
