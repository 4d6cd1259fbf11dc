import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Browser and multi-process suites start servers; give them room but never hang CI.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'] },
  },
})
