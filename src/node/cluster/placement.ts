// The placement of every service on the members this node knows: placement's pure
// functions fed from a view. Every node computes the same placement from the same
// view; each runs its own slots.

import { place, settle } from '../../placement/index.ts'
import type { Placement, PlacementMember, PlacementService, SlotLocation } from '../../placement/index.ts'
import type { NodeRecord, ServiceRecord } from '../../crdt/index.ts'
import { holdForDependencies } from './dependencies.ts'
import { liveness } from './majority.ts'
import { pinToData } from './stateful.ts'
import type { ClusterView } from './view.ts'

/** Where every slot of the cluster belongs; a slot it cannot run yet is unplaced, with the reason. */
export function placeCluster (view: ClusterView): Placement {
  const { nodes, drains } = view
  const alive = liveness(view)
  const members: PlacementMember[] = Object.entries(nodes).map(([id, node]) => ({
    id,
    name: node.name,
    labels: node.labels,
    capacity: node.capacity ?? { cpus: 0, memory: 0 },
    alive: alive(id),
    draining: drains[id]?.draining ?? false
  }))
  const services = Object.values(view.services).map((record) => avoiding(placementService(record), nodes, members, view.now))
  const placed = place(services, members)
  // Slots stay where they run while place()'s counts allow: moves are only the surplus.
  const located: SlotLocation[] = []
  for (const { nodeId, key, replica } of view.replicas) {
    if (alive(nodeId)) located.push({ key, node: nodeId, since: replica.since ?? replica.updatedAt })
  }
  // A service's first replicas wait for its dependencies (dependsOn): unplaced, with the reason.
  return holdForDependencies(view, pinToData(view, settle(placed, located), alive))
}

/**
 * A service with `node.id!=X` added for each member X where its replicas keep failing
 * (NodeRecord.avoid), as long as another usable member remains to take them.
 */
export function avoiding (service: PlacementService, nodes: Record<string, NodeRecord>, members: readonly PlacementMember[], now: number): PlacementService {
  const avoided = members.filter((m) => (nodes[m.id]?.avoid?.[service.name] ?? 0) > now).map((m) => m.id)
  if (avoided.length === 0) return service
  const others = members.filter((m) => m.alive && !m.draining && !avoided.includes(m.id))
  if (others.length === 0) return service
  return { ...service, constraints: [...service.constraints, ...avoided.map((id) => `node.id!=${id}`)] }
}

/** A service record as placement sees it. */
export function placementService (record: ServiceRecord): PlacementService {
  const { spec } = record
  return {
    name: spec.name,
    replicas: spec.replicas,
    mode: spec.mode ?? 'replicated',
    constraints: spec.constraints ?? [],
    ...(spec.maxPerNode === undefined ? {} : { maxPerNode: spec.maxPerNode }),
    ...(spec.resources === undefined ? {} : { resources: spec.resources })
  }
}

/** Slot key → the member it is placed on. */
export function ownersOf (placement: Placement): Map<string, string> {
  return new Map(placement.assignments.map((a) => [a.key, a.node]))
}

/** The slot numbers of one service that are placed, in order. */
export function placedSlots (placement: Placement, service: string): number[] {
  return placement.assignments.filter((a) => a.service === service).map((a) => a.slot).sort((a, b) => a - b)
}
