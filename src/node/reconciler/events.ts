// The events of this node's replicas (events/): started — and moved, when the slot's
// previous replica ran on another node —, healthy, unhealthy, failed with its exit
// code, stopped. The reconciler calls these where each happens.

import type { ClusterDocument } from '../../crdt/index.ts'
import { noEvents } from '../events/index.ts'
import type { Events } from '../events/index.ts'
import type { StopReason } from './plan.ts'
import type { Tracked } from './tracked.ts'

export class ReplicaEvents {
  private readonly events: Events
  private readonly nodeId: string
  private readonly document: ClusterDocument

  constructor (events: Events | undefined, nodeId: string, document: ClusterDocument) {
    this.events = events ?? noEvents
    this.nodeId = nodeId
    this.document = document
  }

  /** A replica started here; a record of its slot filed by another node means the slot moved here from that node. */
  started (tracked: Tracked, nodeName: string): void {
    const { service, slot, generation } = tracked
    const fields = { service, slot, generation, container: tracked.id.slice(0, 12) }
    this.events.emit({ kind: 'replica.started', ...fields, message: `${service}.${slot} started on ${nodeName}` })
    const from = this.document.replicas().find((entry) => entry.nodeId !== this.nodeId && entry.key === tracked.key && entry.replica.service === service)?.replica.node
    if (from !== undefined && from !== nodeName) this.events.emit({ kind: 'replica.moved', ...fields, from, message: `${service}.${slot} moved from ${from} to ${nodeName}` })
  }

  healthy (tracked: Tracked): void {
    this.events.emit({ kind: 'replica.healthy', service: tracked.service, slot: tracked.slot, container: tracked.id.slice(0, 12), message: `${tracked.service}.${tracked.slot} is healthy` })
  }

  /** A replica exited (with its exit code) or turned unhealthy. */
  failed (tracked: Tracked, state: 'exited' | 'unhealthy', reason: string, exitCode?: number): void {
    const fields = { service: tracked.service, slot: tracked.slot, container: tracked.id.slice(0, 12), reason }
    if (state === 'unhealthy') this.events.emit({ kind: 'replica.unhealthy', ...fields, message: `${tracked.service}.${tracked.slot} is unhealthy: ${reason}` })
    else this.events.emit({ kind: 'replica.failed', ...fields, exitCode: exitCode ?? 1, message: `${tracked.service}.${tracked.slot} failed: ${reason}` })
  }

  /** A replica's container is gone, removed by this node (`reason`: why the plan stopped it). */
  stopped (tracked: Tracked, reason: StopReason | undefined): void {
    this.events.emit({ kind: 'replica.stopped', service: tracked.service, slot: tracked.slot, container: tracked.id.slice(0, 12), ...(reason === undefined ? {} : { reason }), message: `${tracked.service}.${tracked.slot} stopped${reason === undefined ? '' : ` (${reason})`}` })
  }
}
