/**
 * The zod schema of the `mtls` option ({@link MtlsOptions}), beside `schema.ts` (at its size
 * limit), checked against the type by the compiler like every options object.
 *
 * @module
 */
import { isIP } from 'node:net'
import { z } from 'zod'
import type { MtlsOptions } from './mtls-types.js'
import { optionsObject } from './shape.js'

/** RFC 9110 `token`: the characters of a header name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** An address, or an address and prefix length (CIDR) of its family. */
export function isAddressOrRange(text: string): boolean {
  const slash = text.indexOf('/')
  if (slash === -1) return isIP(text) !== 0
  const family = isIP(text.slice(0, slash))
  const prefix = text.slice(slash + 1)
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return false
  return Number(prefix) <= (family === 4 ? 32 : 128)
}

const address = z
  .string()
  .refine(isAddressOrRange, 'must be an IP address or CIDR range (10.0.0.5, 10.0.0.0/8, ::1)')

export const mtlsSchema = optionsObject<MtlsOptions>()({
  proxyHeader: z
    .string()
    .regex(HEADER_NAME, 'must be a header name (letters, digits, "-"...)')
    .optional(),
  trustedProxies: z.array(address).min(1, 'must list at least one address').optional(),
}).superRefine((mtls, ctx) => {
  if (mtls.proxyHeader !== undefined && mtls.trustedProxies === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['trustedProxies'],
      message: 'is required with "proxyHeader": the header is read only from trusted proxies',
    })
  }
  if (mtls.trustedProxies !== undefined && mtls.proxyHeader === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['proxyHeader'],
      message: 'is required with "trustedProxies": the header they forward the certificate in',
    })
  }
})
