// The containers of this node as the reconciler knows them, and the replica records
// they become in the cluster document (one record per slot: the replica serving it).

import { canonicalJson } from '../../crdt/index.ts'
import type { Plain, ReplicaRecord, ReplicaState } from '../../crdt/index.ts'
import { byText, slotKey } from '../../placement/index.ts'
import type { ContainerEvent, ContainerInfo } from '../runtime/index.ts'
import type { HealthMonitor } from '../health/index.ts'
import type { StopReason, TrackedReplica } from './plan.ts'

export interface Tracked extends TrackedReplica {
  info?: ContainerInfo
  monitor?: HealthMonitor
  stopping?: boolean
  /** Why the plan stopped it (for its replica.stopped event). */
  stopReason?: StopReason
  error?: string
}

const SERVE_RANK: Record<ReplicaState, number> = { healthy: 5, running: 4, starting: 3, unhealthy: 2, exited: 1, failed: 0 }

/** Maps Docker's container state to a replica state before any health probe ran. */
export function stateFromDocker (dockerState: string): ReplicaState {
  return dockerState === 'running' ? 'running' : dockerState === 'created' || dockerState === 'restarting' ? 'starting' : 'exited'
}

/** A container found in Docker (adopted at start or by a resync), as the reconciler tracks it. */
export function trackedOf (info: ContainerInfo): Tracked {
  return { id: info.id, key: slotKey(info.service, info.slot), service: info.service, slot: info.slot, generation: info.generation, ...(info.specHash === undefined ? {} : { specHash: info.specHash }), state: stateFromDocker(info.state), info }
}

/** Why a container ended, and its exit code (137 for an out-of-memory kill, 1 when Docker did not say). */
export function exitOf (event: ContainerEvent): { reason: string, code: number } {
  const what = event.action === 'oom' ? 'ran out of memory' : event.exitCode === undefined ? 'exited' : `exited with code ${event.exitCode}`
  return { reason: `container ${what}`, code: event.exitCode ?? (event.action === 'oom' ? 137 : 1) }
}

/** The replica that represents a slot: healthy first, then the generation the slot must run, then the newest. */
export function servingReplica (candidates: Tracked[], desired?: number): Tracked | undefined {
  return [...candidates].sort((a, b) =>
    (SERVE_RANK[b.state] - SERVE_RANK[a.state]) || (Number(b.generation === desired) - Number(a.generation === desired)) ||
    (b.generation - a.generation) || byText(a.id, b.id))[0]
}

/** The document record of a tracked replica. */
export function replicaRecord (tracked: Tracked, nodeName: string, now: number): ReplicaRecord {
  const ports = tracked.info?.ports ?? []
  return {
    service: tracked.service,
    slot: tracked.slot,
    generation: tracked.generation,
    node: nodeName,
    container: tracked.pending === true ? '' : tracked.id,
    endpoint: ports[0]?.endpoint ?? '',
    ports,
    ...(tracked.info?.ip === undefined ? {} : { address: tracked.info.ip }),
    state: tracked.state,
    ...(tracked.error === undefined ? {} : { error: tracked.error }),
    updatedAt: now
  }
}

/** True when two records differ in anything but updatedAt. */
export function recordChanged (a: ReplicaRecord | undefined, b: ReplicaRecord): boolean {
  if (a === undefined) return true
  // The seal (by, sig) is the document's, not the replica's: a record read back carries it.
  const { updatedAt: _a, by: _ba, sig: _sa, ...restA } = a
  const { updatedAt: _b, by: _bb, sig: _sb, ...restB } = b
  return canonicalJson(restA as unknown as Plain) !== canonicalJson(restB as unknown as Plain)
}
