/**
 * `check-config --env` on the example app's DPoP variables (issue 24): the in-memory replay store
 * is warned about (one process only), a shared store is not; a refused nonce secret or Redis URL
 * is named, never echoed.
 */
import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { cli } from './run-cli.js'

const raw = generateKeyPairSync('ed25519')
  .publicKey.export({ format: 'der', type: 'spki' })
  .subarray(-32)
  .toString('base64')
const DPOP = {
  JWT_ISSUER: 'https://auth.example',
  JWT_PUBLIC_KEY: raw,
  JWT_DPOP: 'required',
  APP_PUBLIC_URL: 'https://app.example',
}

interface Report {
  problems: { severity: string; setting: string; message: string }[]
}

async function check(env: Record<string, string>): Promise<{ report: Report; output: string }> {
  const result = await cli(['check-config', '--env', '--json'], { env })
  return { report: JSON.parse(result.stdout) as Report, output: result.stdout + result.stderr }
}

describe('check-config --env with JWT_DPOP', () => {
  it('warns that the memory replay store protects one process only', async () => {
    const { report } = await check(DPOP)
    expect(report.problems).toEqual([
      expect.objectContaining({ severity: 'warning', setting: 'DPOP_REPLAY_STORE' }),
    ])
    expect(report.problems[0]?.message).toContain('one process only')
  })

  it('says nothing of a shared store', async () => {
    const { report } = await check({
      ...DPOP,
      DPOP_REPLAY_STORE: 'redis',
      REDIS_URL: 'redis://127.0.0.1:6379',
    })
    expect(report.problems).toEqual([])
  })

  it('names a short nonce secret and a bad Redis URL without echoing them', async () => {
    const secret = 'short-secret-VALUE'
    const redis = 'http://user:pa55word@redis.internal'
    const { report, output } = await check({
      ...DPOP,
      DPOP_NONCE_SECRET: secret,
      DPOP_REPLAY_STORE: 'redis',
      REDIS_URL: redis,
    })
    const errors = report.problems.filter((p) => p.severity === 'error').map((p) => p.setting)
    expect(errors.sort()).toEqual(['DPOP_NONCE_SECRET', 'REDIS_URL'])
    expect(output).not.toContain(secret)
    expect(output).not.toContain('pa55word')
  })

  it('refuses an APP_PUBLIC_URL with a path, naming it', async () => {
    const { report } = await check({ ...DPOP, APP_PUBLIC_URL: 'https://app.example/app' })
    const errors = report.problems.filter((p) => p.severity === 'error')
    expect(errors.map((p) => p.setting)).toEqual(['APP_PUBLIC_URL'])
    expect(errors[0]?.message).toContain('origin only')
  })
})
