// Shared fixtures of the crdt tests: the test logger, a seeded PRNG, temp dirs
// and valid records.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NodeRecord, ReplicaRecord, RolloutRecord, ServiceRecord } from '../../src/crdt/index.ts'
export { prng } from '../support/prng.ts'
export { recordingLogger } from '../support/logger.ts'
export type { RecordingLogger } from '../support/logger.ts'

/** A fresh temp dir and a function removing it. */
export function tempDir (): { dir: string, remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'meshd-crdt-test-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export function serviceRecord (name: string, generation = 1): ServiceRecord {
  return {
    spec: { name, image: `registry.local/${name}:${generation}`, env: { MODE: 'test' }, replicas: 2, ports: [{ published: 8080, target: 80 }], labels: {} },
    generation,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000 + generation
  }
}

export function nodeRecord (name: string, draining = false): NodeRecord {
  return { name, host: '127.0.0.11', apiPort: 7000, p2pPort: 7001, labels: { zone: 'a' }, draining, startedAt: 1_700_000_000_000 }
}

export function replicaRecord (service: string, slot: number, state: ReplicaRecord['state'] = 'healthy', generation = 1): ReplicaRecord {
  return {
    service,
    slot,
    generation,
    node: 'node-a',
    container: `c${slot}`,
    endpoint: `127.0.0.11:${30000 + slot}`,
    ports: [{ target: 80, endpoint: `127.0.0.11:${30000 + slot}` }],
    state,
    updatedAt: 1_700_000_000_000
  }
}

export function rolloutRecord (generation: number, phase: RolloutRecord['phase'] = 'rolling'): RolloutRecord {
  return { generation, from: generation - 1, phase, updated: [0], failed: [], failures: 0, startedAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000 }
}
