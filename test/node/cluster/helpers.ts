// Plain cluster views for the tests of the cluster's decisions: no document, no
// process, no clock; every field is given.

import type { DrainRecord, NodeRecord, RemovalRecord, ReplicaRecord, RolloutRecord, ServiceRecord, ServiceSpec } from '../../../src/crdt/index.ts'
import type { MemberState } from '../../../src/gossip/index.ts'
import type { ClusterView } from '../../../src/node/cluster/index.ts'
import { slotKey } from '../../../src/placement/index.ts'

export const T0 = 1_000_000

export function node (name: string, fields: Partial<NodeRecord> = {}): NodeRecord {
  return { name, host: '127.0.0.1', apiPort: 7700, p2pPort: 7701, labels: {}, capacity: { cpus: 2, memory: 2 ** 30 }, draining: false, startedAt: 0, ...fields }
}

export function service (name: string, fields: Partial<ServiceSpec> = {}, record: Partial<ServiceRecord> = {}): ServiceRecord {
  return { spec: { name, image: 'meshd/busybox:latest', env: {}, replicas: 1, ports: [], labels: {}, ...fields }, generation: 1, createdAt: 0, updatedAt: 0, ...record }
}

export function replica (service: string, slot: number, fields: Partial<ReplicaRecord> = {}): ReplicaRecord {
  return { service, slot, generation: 1, node: 'n', container: `${service}-${slot}`, endpoint: '', ports: [], state: 'healthy', updatedAt: 0, ...fields }
}

export interface ViewInit {
  self?: string
  now?: number
  /** Member ids, or records by id. */
  nodes?: string[] | Record<string, NodeRecord>
  states?: Record<string, MemberState>
  services?: ServiceRecord[]
  /** [nodeId, record] pairs; the key is the record's slot key. */
  replicas?: Array<[string, ReplicaRecord]>
  rollouts?: Record<string, RolloutRecord>
  drains?: Record<string, DrainRecord>
  removals?: Record<string, RemovalRecord>
}

/** A view from plain records; members not named in `states` are alive. */
export function view (init: ViewInit = {}): ClusterView {
  const nodes = Array.isArray(init.nodes ?? ['a'])
    ? Object.fromEntries((init.nodes as string[] | undefined ?? ['a']).map((id) => [id, node(id)]))
    : init.nodes as Record<string, NodeRecord>
  const self = init.self ?? Object.keys(nodes)[0] ?? 'a'
  const states: Record<string, MemberState> = Object.fromEntries(Object.keys(nodes).map((id) => [id, init.states?.[id] ?? 'alive']))
  states[self] = 'alive'
  const replicas = (init.replicas ?? [])
    .map(([nodeId, record]) => ({ nodeId, key: slotKey(record.service, record.slot), replica: record }))
    .sort((a, b) => a.nodeId.localeCompare(b.nodeId) || a.key.localeCompare(b.key))
  return {
    self,
    now: init.now ?? T0,
    states,
    nodes,
    services: Object.fromEntries((init.services ?? []).map((record) => [record.spec.name, record])),
    replicas,
    rollouts: init.rollouts ?? {},
    drains: init.drains ?? {},
    removals: init.removals ?? {},
    autoscale: {}
  }
}
