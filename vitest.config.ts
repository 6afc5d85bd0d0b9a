import { defineConfig } from 'vitest/config';

export default defineConfig({
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
