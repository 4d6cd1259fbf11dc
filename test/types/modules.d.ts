// Express 4 is installed under the alias `express4` for the compatibility matrix; its API surface
// used by the tests is the same as Express 5's.
declare module 'express4' {
  import express from 'express'
  export default express
}

declare module 'cookie-signature' {
  export function sign(value: string, secret: string): string
  export function unsign(value: string, secret: string): string | false
}
