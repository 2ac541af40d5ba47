import { defineConfig } from 'vitest/config';

// Integration tests start real processes (influxd, socat, our own node programs);
// two workers match the two cores CI has.
// The fault suite loads both cores on its own: it runs after the other suites, in
// its own group, so their timings are not disturbed.
export default defineConfig({
  test: {
    globalSetup: ['tests/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
    projects: [
      { extends: true, test: { name: 'main', include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts', 'tests/browser/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'faults', include: ['tests/faults/**/*.test.ts'], sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'soak', include: ['tests/soak/**/*.test.ts'], sequence: { groupOrder: 2 } } },
      { extends: true, test: { name: 'bench', include: ['tests/bench/**/*.test.ts'], sequence: { groupOrder: 3 } } },
      // Skipped unless PEMDA_WALKTHROUGH=1 (npm run walkthrough): it downloads a Debian system.
      { extends: true, test: { name: 'walkthrough', include: ['tests/walkthrough/**/*.test.ts'], sequence: { groupOrder: 4 } } },
    ],
  },
});
