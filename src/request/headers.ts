/**
 * Reading a request header by name. Header names are case-insensitive (RFC 9110 §5.1). Node
 * lower-cases them on `req.headers` and keeps every line in `rawHeaders`, so an Express request
 * needs one property read. A header record built by hand (an API-gateway event, a test) keeps
 * the client's casing: it is searched whatever the case, and two names differing only in case
 * are a repeated header, as two lines would be.
 *
 * @module
 */
import { InvalidRequestError } from '../errors.js'

/** What header reading needs of a request (an Express `req` fits). */
export interface HeaderSource {
  headers: Record<string, string | string[] | undefined>
  /** Node's raw header list: present on a Node request, whose header names are lower case. */
  rawHeaders?: readonly string[]
}

/**
 * The header `name` (given in lower case) whatever the case of its key.
 *
 * @param label - the header as messages name it, e.g. `Authorization`.
 * @throws InvalidRequestError (400 `ERR_AUTH_CREDENTIALS_AMBIGUOUS`) for a hand-built record
 *   holding the name in two cases.
 */
export function readHeader(
  req: HeaderSource,
  name: string,
  label: string,
): string | string[] | undefined {
  const value = req.headers[name]
  if (req.rawHeaders !== undefined) return value
  return readHeaderIgnoringCase(req.headers, name, label, value)
}

function readHeaderIgnoringCase(
  headers: Record<string, string | string[] | undefined>,
  name: string,
  label: string,
  lowerCaseValue: string | string[] | undefined,
): string | string[] | undefined {
  let found = lowerCaseValue
  for (const key of Object.keys(headers)) {
    if (key === name || key.length !== name.length || key.toLowerCase() !== name) continue
    const value = headers[key]
    if (value === undefined) continue
    if (found !== undefined) {
      throw new InvalidRequestError('ERR_AUTH_CREDENTIALS_AMBIGUOUS', `multiple ${label} headers`)
    }
    found = value
  }
  return found
}
