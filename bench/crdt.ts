// Cold load of the cluster document: how long start() takes for a document whose
// history holds many updates. Goal: ≤ 150 ms for 100k updates.
// Run directly: node bench/crdt.ts [updates]

import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClusterDocument } from '../src/crdt/index.ts'
import type { ReplicaRecord, ServiceRecord } from '../src/crdt/index.ts'
import type { Logger } from '../src/logger.ts'

export interface ColdLoadResult {
  updates: number
  snapshotBytes: number
  logBytes: number
  /** Median time of `new ClusterDocument(...).start()` over a few runs. */
  loadMs: number
  /** The first of those runs, before the JIT has warmed up to the load path. */
  firstLoadMs: number
}

export interface ColdLoadOptions {
  /** Writes in the document's history (default 100k). */
  updates?: number
  /**
   * Abandon the writer instead of stopping it, as a crash would: the log keeps up to
   * COMPACT_RECORDS records to replay. A clean stop() leaves only a snapshot.
   */
  crash?: boolean
}

const NODES = 10
const SLOTS_PER_NODE = 30
const SERVICES = 20
const RUNS = 5

const silent: Logger = { debug () {}, info () {}, warn () {}, error () {}, child () { return silent } }

/** Builds a document with `updates` writes in its history in a temp dir and times its cold load. */
export async function benchColdLoad (opts: ColdLoadOptions = {}): Promise<ColdLoadResult> {
  const updates = opts.updates ?? 100_000
  const dataDir = mkdtempSync(join(tmpdir(), 'meshd-bench-crdt-'))
  try {
    await writeHistory(dataDir, updates, opts.crash ?? false)
    // Sizes before loading: a load may compact an over-long log.
    const snapshotBytes = sizeOf(join(dataDir, 'document.snapshot'))
    const logBytes = sizeOf(join(dataDir, 'document.log'))
    const times: number[] = []
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now()
      const reader = new ClusterDocument({ log: silent, dataDir, compactRecords: Infinity })
      await reader.start()
      times.push(performance.now() - started)
      // Not stopped: stop() would fold the log into the snapshot and change what the
      // next run loads. Its log fd is closed when the process exits.
    }
    const first = times[0] ?? 0
    times.sort((a, b) => a - b)
    return { updates, snapshotBytes, logBytes, loadMs: round(times[RUNS >> 1] ?? 0), firstLoadMs: round(first) }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

// A cluster's history as node0 persists it: every node writes its own replica
// records (as the reconciler does, one writer per entry) and node0 receives them as
// peer updates; node0 also takes the service writes (as the API does).
// In a function of its own so the documents are garbage by the time loads are timed:
// a live 100k-write heap makes every scavenge during a load several times slower.
async function writeHistory (dataDir: string, updates: number, crash: boolean): Promise<void> {
  const persisted = new ClusterDocument({ log: silent, dataDir })
  await persisted.start()
  const peers = Array.from({ length: NODES - 1 }, () => new ClusterDocument({ log: silent }))
  for (const peer of peers) peer.on('update', update => { persisted.applyUpdate(update, 'gossip') })
  const nodes = [persisted, ...peers]
  // The reconciler's pattern: mostly replica records changing state, now and then a
  // service spec; 320 keys (30 slots on each of 10 nodes, 20 services) overwritten
  // again and again, in a random (seeded) order.
  let seed = 42
  const random = (max: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return (seed >>> 8) % max
  }
  for (let i = 0; i < updates; i++) {
    if (i % 20 === 19) {
      const service = `svc${random(SERVICES)}`
      persisted.putService(service, serviceRecord(service, i))
    } else {
      const node = random(NODES)
      const slot = random(SLOTS_PER_NODE)
      const service = `svc${slot % SERVICES}`
      nodes[node]?.putReplica(`node${node}`, `${service}#${slot}`, replicaRecord(i, `node${node}`, service, slot))
    }
  }
  if (!crash) await persisted.stop()
}

function replicaRecord (i: number, node: string, service: string, slot: number): ReplicaRecord {
  const endpoint = `10.0.0.${node.slice(4)}:${30000 + (i % 1000)}`
  return {
    service,
    slot,
    generation: 1 + Math.floor(i / 1000),
    node,
    container: i.toString(16).padStart(64, '0'),
    endpoint,
    ports: [{ target: 80, endpoint }],
    state: (['starting', 'running', 'healthy'] as const)[i % 3] ?? 'healthy',
    updatedAt: 1_700_000_000_000 + i
  }
}

function serviceRecord (name: string, i: number): ServiceRecord {
  const spec = { name, image: `registry.local/${name}:${i}`, env: { MODE: 'bench' }, replicas: 3, ports: [{ published: 8000 + Number(name.slice(3)), target: 80 }], labels: {} }
  return { spec, generation: 1 + Math.floor(i / 1000), createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000 + i }
}

function round (ms: number): number {
  return Math.round(ms * 10) / 10
}

function sizeOf (file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

if (import.meta.main) {
  const updates = process.argv[2] === undefined ? undefined : Number(process.argv[2])
  console.log(JSON.stringify({ ...await benchColdLoad({ updates }), stop: 'clean' }))
  console.log(JSON.stringify({ ...await benchColdLoad({ updates, crash: true }), stop: 'crash' }))
}
