/**
 * The cookie-name grammar, its one home: RFC 6265 §4.1.1 `cookie-name = token` (RFC 2616 §2.2),
 * visible ASCII without separators. The options, the CLI's checks and the example app read it here.
 *
 * @module
 */

/** An RFC 6265 cookie name. */
export const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Whether a text is a valid cookie name. */
export function isCookieName(name: string): boolean {
  return COOKIE_NAME.test(name)
}
