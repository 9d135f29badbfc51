// The cluster as one node sees it at one moment: a snapshot of the document, the
// failure detector's verdict on every member, and the clock. Every decision in this
// folder is a pure function of a view, so two nodes with the same view decide alike
// and a test builds one from plain data.

import type { DocumentSnapshot, ReplicaRecord, ServiceRecord } from '../../crdt/index.ts'
import type { MemberState } from '../../gossip/index.ts'

export interface ClusterView extends DocumentSnapshot {
  /** This node's id: always alive in its own eyes. */
  self: string
  /** The failure detector's verdict on each member of `nodes` and each node filing replicas. */
  states: Record<string, MemberState>
  /** The clock the decisions compare deadlines with (ms). */
  now: number
}

/**
 * A view from a document snapshot and the failure detector, taken at `now`. An autoscaled
 * service's replica count in the view is its autoscaler's (autoscaled()).
 */
export function clusterView (snapshot: DocumentSnapshot, self: string, stateOf: (id: string) => MemberState, now: number): ClusterView {
  const states: Record<string, MemberState> = {}
  for (const id of Object.keys(snapshot.nodes)) states[id] = stateOf(id)
  for (const { nodeId } of snapshot.replicas) states[nodeId] ??= stateOf(nodeId)
  states[self] = 'alive'
  return { ...snapshot, services: autoscaled(snapshot), self, states, now }
}

/**
 * The services with the count their autoscaler decided in place of the spec's `replicas`
 * (which is where autoscaling starts): from `autoscale[name]` when it was written for this
 * service (not one of the same name removed since), kept within the spec's min and max.
 */
export function autoscaled (snapshot: Pick<DocumentSnapshot, 'services' | 'autoscale'>): Record<string, ServiceRecord> {
  let services = snapshot.services
  for (const [name, record] of Object.entries(snapshot.services)) {
    const bounds = record.spec.autoscale
    const status = snapshot.autoscale[name]
    if (bounds === undefined || status === undefined || status.serviceCreatedAt !== record.createdAt) continue
    const replicas = Math.min(bounds.max, Math.max(bounds.min, status.desired))
    if (replicas === record.spec.replicas) continue
    if (services === snapshot.services) services = { ...snapshot.services }
    services[name] = { ...record, spec: { ...record.spec, replicas } }
  }
  return services
}

/** A member's state in the view: itself alive, a member the view never heard of dead. */
export function stateOf (view: ClusterView, id: string): MemberState {
  return id === view.self ? 'alive' : view.states[id] ?? 'dead'
}

/** True when `id` is this node or a member not declared dead. */
export function notDead (view: ClusterView, id: string): boolean {
  return stateOf(view, id) !== 'dead'
}

const replicaIndex = new WeakMap<ClusterView, Map<string, ReplicaRecord>>()

/** The replica record `nodeId` files for slot `key`, if any (indexed once per view). */
export function replicaAt (view: ClusterView, nodeId: string, key: string): ReplicaRecord | undefined {
  let index = replicaIndex.get(view)
  if (index === undefined) {
    index = new Map(view.replicas.map((entry) => [`${entry.nodeId}\u0000${entry.key}`, entry.replica]))
    replicaIndex.set(view, index)
  }
  return index.get(`${nodeId}\u0000${key}`)
}
