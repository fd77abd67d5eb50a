import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['backend/**/*.test.ts', 'agent/**/*.test.ts', 'shared/**/*.test.ts', 'ui/test/**/*.test.ts'],
    // Some tests start real backend and agent processes.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
