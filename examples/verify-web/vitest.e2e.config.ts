// The browser tests of the verification page (`pnpm e2e` at the repository root). They build the
// page, serve it on 127.0.0.1 and drive Debian's Chromium; kept out of the unit test run.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'] } },
  test: {
    include: ['examples/verify-web/e2e/**/*.e2e.ts'],
    testTimeout: 120_000,
    hookTimeout: 20 * 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
