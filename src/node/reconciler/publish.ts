// What this node writes about its replicas into the cluster document: one replica
// record per slot (the replica serving it), stale records removed, all in one
// transaction, and only when something other than the timestamp changed; and the
// services it asks placement to avoid here after a crash loop.


import type { ClusterDocument, ReplicaRecord, SlotFailure } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import { avoidService } from '../cluster/index.ts'
import type { DesiredSlot } from '../cluster/index.ts'
import { recordChanged, replicaRecord, servingReplica } from './tracked.ts'
import type { Tracked } from './tracked.ts'

export interface PublisherInit { nodeId: string, nodeName: string, document: ClusterDocument }

export class ReplicaPublisher {
  private readonly init: PublisherInit
  /** Slots whose last start failed before a container existed (e.g. a missing image). */
  private readonly startErrors = new Map<string, { slot: DesiredSlot, error: string }>()

  constructor (init: PublisherInit) {
    this.init = init
  }

  /** The last failure of each slot, shown on its record until the slot goes away. */
  private readonly lastFailures = new Map<string, SlotFailure>()

  /** Remembers why a slot could not be started, to show it until a start succeeds. */
  noteStartFailure (slot: DesiredSlot, error: string): void {
    this.startErrors.set(slot.key, { slot, error })
    this.lastFailures.set(slot.key, { container: '', state: 'failed', error, at: Date.now(), generation: slot.generation })
  }

  /** Remembers that a slot's replica exited or turned unhealthy. */
  noteReplicaFailure (key: string, failure: SlotFailure): void {
    this.lastFailures.set(key, failure)
  }

  /** Brings replicas[nodeId] in line with the tracked replicas. */
  publish (tracked: Tracked[], desiredKeys: ReadonlySet<string>, desiredGeneration: ReadonlyMap<string, number> = new Map()): void {
    const { document, nodeId, nodeName } = this.init
    const now = Date.now()
    const next = new Map<string, ReplicaRecord>()
    const byKey = new Map<string, Tracked[]>()
    for (const replica of tracked) byKey.set(replica.key, [...(byKey.get(replica.key) ?? []), replica])

    for (const [key, candidates] of byKey) {
      const serving = servingReplica(candidates, desiredGeneration.get(key))
      if (serving === undefined) continue
      if (serving.pending !== true) this.startErrors.delete(key)
      const failure = this.startErrors.get(key)
      const record = replicaRecord(serving, nodeName, now)
      next.set(key, withLastFailure(failure === undefined ? record : { ...record, error: failure.error }, this.lastFailures.get(key)))
    }
    for (const [key, { slot, error }] of this.startErrors) {
      if (!desiredKeys.has(key)) { this.startErrors.delete(key); continue }
      if (next.has(key)) continue
      next.set(key, withLastFailure({
        service: slot.service, slot: slot.slot, generation: slot.generation, node: nodeName,
        container: '', endpoint: '', ports: [], state: 'failed', error, updatedAt: now
      }, this.lastFailures.get(key)))
    }
    for (const key of this.lastFailures.keys()) if (!desiredKeys.has(key)) this.lastFailures.delete(key)

    const current = document.replicasOf(nodeId)
    for (const [key, record] of next) record.since = current[key]?.since ?? now
    const writes = [...next].filter(([key, record]) => recordChanged(current[key], record))
    const deletes = Object.keys(current).filter((key) => !next.has(key))
    if (writes.length === 0 && deletes.length === 0) return
    document.transact(() => {
      for (const [key, record] of writes) document.putReplica(nodeId, key, record)
      for (const key of deletes) document.deleteReplica(nodeId, key)
    })
  }

  /** The service's replicas keep failing here: ask placement to put it on other nodes for a while. */
  avoid (service: string, now: number, log: Logger): void {
    const { document, nodeId } = this.init
    const record = document.node(nodeId)
    const next = record === undefined ? undefined : avoidService(record, service, now)
    if (next === undefined) return
    document.putNode(nodeId, next)
    log.warn({ service, until: next.avoid?.[service] }, 'replicas keep failing on this node: placing the service elsewhere for a while')
  }
}

function withLastFailure (record: ReplicaRecord, failure: SlotFailure | undefined): ReplicaRecord {
  return failure === undefined ? record : { ...record, lastFailure: failure }
}
