import { defineConfig } from 'vitest/config'
import { fileURLToPath } from 'node:url'

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url))

// Tests import the packages' TypeScript sources directly; subprocess tests
// (CLI, crash children) run the built dist/ output, which `pnpm test` builds first.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@wq\/wal\/testing$/, replacement: src('./packages/wal/src/testing/index.ts') },
      { find: /^@wq\/wal$/, replacement: src('./packages/wal/src/index.ts') },
      { find: /^@wq\/engine\/inspect$/, replacement: src('./packages/engine/src/inspect/index.ts') },
      { find: /^@wq\/engine$/, replacement: src('./packages/engine/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: '.data/vitest-results.json' },
  },
})
