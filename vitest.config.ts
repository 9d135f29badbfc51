import { defineConfig } from 'vitest/config'

// Two projects: `unit` holds every test that needs no Docker and no process of its own
// (pure decisions, placement, the proxy and gossip in-process, crdt, spec); its files
// run in parallel. `integration` starts real daemons, containers and network faults on
// one Docker engine and shared loopback addresses, so its files run one at a time.
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**'],
          // Threads without per-file isolation: these tests share no global state (no
          // mocks, no fake timers), and a fresh module graph per file cost half the run.
          pool: 'threads',
          isolate: false,
          maxWorkers: 2,
          testTimeout: 30_000,
          hookTimeout: 30_000
        }
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false
        }
      }
    ]
  }
})
