/**
 * The server nonce an accepted DPoP request's answer should carry (`DPoP-Nonce`, RFC 9449 §8.2),
 * when the proof's nonce is of the previous step: the core records it beside the context, the
 * Express layer sets the header. A side table, so the context's shape stays as documented.
 *
 * @module
 */
const nextNonces = new WeakMap<object, string>()

/** Records the nonce to send with the answer of the request authenticated as `context`. */
export function rememberNextNonce(context: object, nonce: string): void {
  nextNonces.set(context, nonce)
}

/** The nonce to send with the answer for `context`, if one is due. */
export function nextNonceFor(context: object | undefined): string | undefined {
  return context === undefined ? undefined : nextNonces.get(context)
}
