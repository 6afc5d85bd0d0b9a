import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The sample imports the library by its package name, as a user's app does; tsx and esbuild read
// the same mapping from tsconfig.json's `paths`, vitest from here.
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^queueflow$/, replacement: source('./lib/index.ts') },
      { find: /^queueflow\/lambda$/, replacement: source('./lambdas/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Synthesizes cdk.out once per run when it is missing or stale (integration suites start the
    // runtime with --no-synth).
    globalSetup: ['test/integration/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // Integration suites each start a local runtime on their own ports; run files one at a time
    // on CI's two cores so timing-sensitive redelivery tests are not starved.
    fileParallelism: false,
  },
});
