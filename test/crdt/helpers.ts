// Shared fixtures of the crdt tests: a recording logger, a seeded PRNG, temp dirs
// and valid records.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Logger, NodeRecord, ReplicaRecord, RolloutRecord, ServiceRecord } from '../../src/crdt/index.ts'

export interface RecordingLogger extends Logger {
  warns: Array<{ obj: unknown, msg?: string }>
  errors: Array<{ obj: unknown, msg?: string }>
}

/** A logger that drops debug/info and keeps warn/error calls for assertions. */
export function recordingLogger (): RecordingLogger {
  const log: RecordingLogger = {
    warns: [],
    errors: [],
    debug () {},
    info () {},
    warn (obj, msg) { log.warns.push({ obj, msg }) },
    error (obj, msg) { log.errors.push({ obj, msg }) },
    child () { return log }
  }
  return log
}

/** mulberry32: a small seeded PRNG, so a failing seed can be replayed. */
export function prng (seed: number): { next(): number, int(max: number): number, pick<T>(items: readonly T[]): T } {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (max: number): number => Math.floor(next() * max)
  return { next, int, pick: items => items[int(items.length)] as (typeof items)[number] }
}

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
  return { generation, phase, updated: [0], failures: 0, updatedAt: 1_700_000_000_000 }
}
