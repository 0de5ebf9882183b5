import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts', 'drill/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Bounds that only catch hangs: CI runs on a busy 2-core machine, where a test that spawns a
    // server or builds takes many times what it takes on a quiet one. No test relies on them.
    testTimeout: 180_000,
    hookTimeout: 240_000,
    reporters: ['default'],
  },
});
