/**
 * The `mtls` option resolved once at start-up: the proxy header's name and the trusted proxies as
 * a `BlockList`, so a request's trust decision is one lookup.
 *
 * @module
 */
import { BlockList, isIP } from 'node:net'
import type { MtlsOptions } from '../options/mtls-types.js'

/** What the binding check needs of the `mtls` option. */
export interface MtlsSettings {
  /** The proxy header's name in lower case (Node's `headers` keys), when a proxy is trusted. */
  readonly proxyHeader: string | undefined
  /** The addresses the proxy header is read from. */
  readonly trustedProxies: BlockList
}

/** The settings of the option (the schema has checked the addresses); undefined without it. */
export function resolveMtls(options: MtlsOptions | undefined): MtlsSettings | undefined {
  if (options === undefined) return undefined
  const trustedProxies = new BlockList()
  for (const entry of options.trustedProxies ?? []) {
    const [address = '', prefix] = entry.split('/')
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6'
    if (prefix === undefined) trustedProxies.addAddress(address, family)
    else trustedProxies.addSubnet(address, Number(prefix), family)
  }
  return Object.freeze({ proxyHeader: options.proxyHeader?.toLowerCase(), trustedProxies })
}

/** Whether `address` is one of the trusted proxies. */
export function isTrustedProxy(settings: MtlsSettings, address: string | undefined): boolean {
  if (address === undefined) return false
  const family = isIP(address)
  if (family === 0) return false
  return settings.trustedProxies.check(address, family === 4 ? 'ipv4' : 'ipv6')
}
