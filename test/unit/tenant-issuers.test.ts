/**
 * The tenant table behind `issuerResolver`, without HTTP: what the HTTP suite cannot see from
 * outside (a dropped tenant's key set released, the synchronous path kept, unknown issuers kept
 * apart from tenants, a secret shared with a configured issuer refused).
 */
import { describe, expect, it, vi } from 'vitest'
import { resolveConfig } from '../../src/options/resolve.js'
import { TenantIssuers } from '../../src/pipeline/tenant-issuers.js'
import type { IssuerOptions } from '../../src/index.js'
import { ed25519, ed25519Other, hmacSecret } from '../helpers/keys.js'

const NOW = Date.UTC(2026, 5, 1)
const A = 'https://a.tenants.example.org'
const B = 'https://b.tenants.example.org'
const tenants: Record<string, IssuerOptions> = {
  [A]: { issuer: A, key: { pem: ed25519.publicPem }, audience: false },
  [B]: { issuer: B, key: { pem: ed25519Other.publicPem }, audience: false },
}

function table(max: number, issuers: IssuerOptions[] = []) {
  const asked: string[] = []
  const config = resolveConfig({
    issuers,
    issuerResolver: {
      resolve: (iss) => {
        asked.push(iss)
        return iss === 'https://shares-a-secret.example.org'
          ? { issuer: iss, key: { secret: hmacSecret }, audience: false }
          : tenants[iss]
      },
      max,
    },
  })
  return { table: new TenantIssuers(config.tenants!), asked }
}

const lookUp = (tenantsTable: TenantIssuers, iss: string) => {
  const found = tenantsTable.lookup(iss, NOW)
  if (found instanceof Promise) throw new Error('a synchronous resolver must answer synchronously')
  return found
}

describe('the tenant table', () => {
  it('answers synchronously for a synchronous resolver, and from memory after', () => {
    const { table: t, asked } = table(10)
    expect(lookUp(t, A).issuer).toBe(A)
    expect(lookUp(t, A).issuer).toBe(A)
    expect(asked).toEqual([A])
  })

  it("releases a dropped tenant's key set and ends its lease", () => {
    const { table: t } = table(1)
    const a = lookUp(t, A)
    const close = vi.fn()
    Object.assign(a.keys, { close })
    lookUp(t, B)
    expect(close).toHaveBeenCalledOnce()
    expect(a.lease?.retired).toBe(true)
    expect(t.size).toBe(1)
  })

  it('releases every key set on close', () => {
    const { table: t } = table(10)
    const closes = [A, B].map((iss) => {
      const close = vi.fn()
      Object.assign(lookUp(t, iss).keys, { close })
      return close
    })
    t.close()
    for (const close of closes) expect(close).toHaveBeenCalledOnce()
    expect(t.size).toBe(0)
  })

  it('keeps a tenant through a flood of unknown issuers', () => {
    const { table: t, asked } = table(2)
    lookUp(t, A)
    for (let i = 0; i < 50; i++) {
      expect(() => t.lookup(`https://made-up-${i}.example.org`, NOW)).toThrow(
        expect.objectContaining({ code: 'ERR_AUTH_ISSUER_UNTRUSTED' }),
      )
    }
    lookUp(t, A)
    expect(asked.filter((iss) => iss === A)).toHaveLength(1)
  })

  it("refuses a tenant whose secret is a configured issuer's", () => {
    const { table: t } = table(10, [
      { issuer: 'https://static.example.org', key: { secret: hmacSecret }, audience: false },
    ])
    expect(() => t.lookup('https://shares-a-secret.example.org', NOW)).toThrow(
      expect.objectContaining({ status: 500, code: 'ERR_AUTH_ISSUER_MISCONFIGURED' }),
    )
  })
})
