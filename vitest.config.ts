import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const packages = [
  'common',
  'protocol',
  'tensors',
  'signing',
  'ledger',
  'aggregation',
  'audit',
  'privacy',
  'secagg',
  'model',
  'data',
];

export default defineConfig({
  resolve: {
    // Tests import the TypeScript sources of sibling packages directly, so a unit test
    // never runs against a stale build.
    alias: [
      ...packages.map((name) => ({
        find: `@silo/${name}`,
        replacement: here(`packages/${name}/src/index.ts`),
      })),
      { find: '@silo/coordinator', replacement: here('coordinator/src/index.ts') },
      { find: '@silo/worker', replacement: here('worker/src/index.ts') },
    ],
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'coordinator/src/**/*.test.ts',
      'worker/src/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
