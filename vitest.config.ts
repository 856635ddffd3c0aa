import { defineConfig } from 'vitest/config';
import { E2eInterleavingSequencer } from './tests/support/e2e-sequencer.ts';

/** Server API tests that also run on PostgreSQL + S3 (project server-pg-s3). */
const SERVER_ON_BOTH_BACKENDS = ['happy-path', 'finalize', 'bad-input', 'cross-user', 'limits', 'video-meta', 'seekable-webm', 'fuzz', 'assembly', 'fast-path', 'expiry', 'client-abort', 'start-up'].map(
  (name) => `tests/server/${name}.test.ts`,
);

export default defineConfig({
  test: {
    reporters: ['default', './tests/support/summary-reporter.ts'],
    // Waiting e2e files interleaved with CPU-bound ones (tests/support/e2e-slots.ts).
    sequence: { sequencer: E2eInterleavingSequencer },
    projects: [
      {
        test: {
          name: 'node',
          // Node suites first, then the browser suites alone: Chromium and fsync-heavy suites
          // competing for 2 cores only makes both slower and noisier.
          sequence: { groupOrder: 0 },
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/e2e/**', 'node_modules/**'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // The server API tests again, on PostgreSQL + S3 (tests/support/test-backend.ts): the
          // files that talk to the server only over HTTP (docs/TESTING.md says why the rest not).
          name: 'server-pg-s3',
          sequence: { groupOrder: 0 },
          include: SERVER_ON_BOTH_BACKENDS,
          env: { OUTBOX_TEST_BACKEND: 'pg-s3' },
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // Real browsers, after the node suites, one file at a time on a 2-core machine.
          // E2E_WORKERS=2 runs two at a time, but only one CPU-bound file at a time: the others
          // run beside one that mostly waits on a clock (a server outage, a throttled link), see
          // tests/support/e2e-slots.ts. Not the default until proven flake-free on CI.
          name: 'e2e',
          sequence: { groupOrder: 1 },
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          maxWorkers: Math.max(1, Number(process.env.E2E_WORKERS ?? 1)),
          globalSetup: ['tests/support/e2e-slots.ts'],
          setupFiles: ['tests/support/e2e-slot-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
