/**
 * The connection a request came over, as the certificate binding reads it (RFC 8705 §3): the TLS
 * client certificate and the peer's address. Framework-free: Node's `IncomingMessage` (and so an
 * Express `req`) fits through `socket`, read only for a certificate-bound token; other servers
 * pass `clientCertificate` and `remoteAddress` themselves.
 *
 * @module
 */

/** The parts of Node's socket the binding reads (`tls.TLSSocket` has both, `net.Socket` one). */
export interface PeerSocket {
  remoteAddress?: string | undefined
  getPeerCertificate?: ((detailed?: boolean) => { raw?: Uint8Array } | null) | undefined
}

/** The connection members of `AuthRequest`. */
export interface ClientConnection {
  /**
   * The TLS client certificate of the connection (its DER bytes), for servers other than Node's
   * http(s); takes precedence over `socket`. Whether its chain was validated is the TLS server's
   * business: the binding is the thumbprint, and the handshake proved the client holds its key.
   */
  clientCertificate?: { der: Uint8Array } | undefined
  /** The peer's IP address, for servers other than Node's; takes precedence over `socket`. */
  remoteAddress?: string | undefined
  /** Node's socket of the request (`req.socket`), read for certificate-bound tokens only. */
  socket?: PeerSocket | undefined
}

/** The DER of the connection's client certificate, or undefined when it presented none. */
export function connectionCertificate(req: ClientConnection): Uint8Array | undefined {
  if (req.clientCertificate !== undefined) return req.clientCertificate.der
  const socket = req.socket
  if (typeof socket?.getPeerCertificate !== 'function') return undefined
  // `{}` without a certificate, null once the socket is gone.
  const raw = socket.getPeerCertificate(false)?.raw
  return raw instanceof Uint8Array && raw.length > 0 ? raw : undefined
}

/**
 * The peer's address. An IPv4-mapped IPv6 address (`::ffff:10.0.0.5`, a dual-stack server's
 * view of an IPv4 peer) needs no rewriting: `BlockList` matches it against IPv4 entries.
 */
export function connectionAddress(req: ClientConnection): string | undefined {
  return req.remoteAddress ?? req.socket?.remoteAddress
}
