// The cluster as placement sees it, from this node's snapshot of the document and its
// failure detector: members, liveness under the partition policy, drains, and where the
// replicas run now. Every node computes the same placement from the same inputs; each
// runs its own slots.

import { place, settle } from '../../placement/index.ts'
import type { Placement, PlacementMember, PlacementService, SlotLocation } from '../../placement/index.ts'
import type { ClusterDocument, NodeRecord, ServiceRecord } from '../../crdt/index.ts'
import type { DesiredSlot } from './plan.ts'
import { desiredGeneration, resolveUpdate } from '../rollout.ts'

export type MemberState = 'alive' | 'suspect' | 'dead'

export interface ClusterView {
  document: ClusterDocument
  self: string
  memberState: (id: string) => MemberState
  /** The clock placement compares avoid deadlines with (tests); Date.now by default. */
  now?: () => number
}

/**
 * Which members count as alive for placement. A suspect member keeps its slots (one
 * missed beat must not move replicas). Dead members' slots are taken over only by a
 * side that sees a majority of the known members, so a split does not double every
 * replica; one- and two-node clusters always take over (there is no majority to wait for).
 */
export function placementLiveness (ids: string[], self: string, memberState: (id: string) => MemberState): (id: string) => boolean {
  const notDead = new Set(ids.filter((id) => id === self || memberState(id) !== 'dead'))
  // The majority counts only members that answer now: on the minority side of a split,
  // members are declared dead one beat apart, and a suspect one must not lend its vote
  // to a takeover in that moment.
  const answering = ids.filter((id) => id === self || memberState(id) === 'alive').length
  const quorum = ids.length <= 2 ? 1 : Math.floor(ids.length / 2) + 1
  if (answering >= quorum) return (id) => notDead.has(id)
  return () => true
}

/** The placement of every service on the members this node knows. */
export function placeCluster (view: ClusterView): Placement {
  const { document, self, memberState } = view
  const nodes = document.nodes()
  const drains = document.drains()
  const alive = placementLiveness(Object.keys(nodes), self, memberState)
  const members: PlacementMember[] = Object.entries(nodes).map(([id, node]) => ({
    id,
    name: node.name,
    labels: node.labels,
    capacity: node.capacity ?? { cpus: 0, memory: 0 },
    alive: alive(id),
    draining: drains[id]?.draining ?? false
  }))
  const placed = place(Object.values(document.services()).map((record) => avoiding(placementService(record), nodes, members, view.now?.() ?? Date.now())), members)
  // Slots stay where they run while place()'s counts allow: moves are only the surplus.
  const located: SlotLocation[] = []
  for (const { nodeId, key, replica } of document.replicas()) {
    if (alive(nodeId)) located.push({ key, node: nodeId, since: replica.since ?? replica.updatedAt })
  }
  return settle(placed, located)
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

/** The generation each slot must run: a rollout in progress keeps the slots it has not moved yet. */
export function generationsOf (document: ClusterDocument): (service: string, slot: number) => number {
  const services = document.services()
  const rollouts = document.rollouts()
  return (service, slot) => {
    const record = services[service]
    return record === undefined ? 0 : desiredGeneration(record, rollouts[service], slot)
  }
}

/** The slots placed on `self`, with the generation each must run. */
export function slotsOf (placement: Placement, services: Record<string, ServiceRecord>, self: string, generationOf: (service: string, slot: number) => number = (service) => services[service]?.generation ?? 0): DesiredSlot[] {
  return placement.assignments
    .filter((a) => a.node === self)
    .map((a) => {
      const spec = services[a.service]?.spec
      const stopFirst = spec === undefined ? false : resolveUpdate(spec).stopFirst
      return { key: a.key, service: a.service, slot: a.slot, generation: generationOf(a.service, a.slot), ...(stopFirst ? { stopFirst } : {}) }
    })
}

/**
 * Make-before-break: whether this node must keep its replica of a slot that is now
 * placed elsewhere, because the new owner is alive and its replica of the current
 * generation is not healthy yet.
 */
export function awaitingHandoff (owner: string | undefined, view: ClusterView, key: string, generation: number): boolean {
  if (owner === undefined || owner === view.self || view.memberState(owner) === 'dead') return false
  const replica = view.document.replicasOf(owner)[key]
  return !(replica?.state === 'healthy' && replica.generation === generation)
}

/** Moves of one service allowed at once when no `update.parallelism` says otherwise. */
export const DEFAULT_MOVE_PARALLELISM = 1

/** A service's `update.parallelism`: how many of its slots may move at once. */
export function moveParallelism (document: ClusterDocument): (service: string) => number {
  const services = document.services()
  return (service) => {
    const spec = services[service]?.spec
    return spec === undefined ? DEFAULT_MOVE_PARALLELISM : resolveUpdate(spec).parallelism
  }
}

/**
 * Rebalancing throttle: which slot keys may start now. A slot is *moving* when its
 * owner has no healthy replica of the current generation while another member that is
 * not dead still serves one (a join, a drain, a member coming back). At most
 * `parallelism` moves per service run at once: moves already started count first, the
 * rest wait their turn in key order — the same answer on every node. Slots nobody
 * serves (new, scaled up, or lost with a dead member) are never held back.
 */
export function allowedToStart (placement: Placement, view: ClusterView, parallelism: (service: string) => number = () => DEFAULT_MOVE_PARALLELISM): (key: string) => boolean {
  const servedBy = new Map<string, string[]>()
  const records = new Map<string, { state: string, generation: number }>()
  for (const { nodeId, key, replica } of view.document.replicas()) {
    records.set(`${nodeId}/${key}`, replica)
    // Any generation serves: a rolling update on the owner is not a move.
    if (replica.state === 'healthy' && view.memberState(nodeId) !== 'dead') {
      servedBy.set(key, [...(servedBy.get(key) ?? []), nodeId])
    }
  }
  const moving = new Map<string, { started: string[], waiting: string[] }>()
  for (const { key, node, service } of placement.assignments) {
    const holders = servedBy.get(key) ?? []
    if (holders.includes(node) || holders.length === 0) continue
    const entry = moving.get(service) ?? { started: [], waiting: [] }
    ;(records.has(`${node}/${key}`) ? entry.started : entry.waiting).push(key)
    moving.set(service, entry)
  }
  const blocked = new Set<string>()
  for (const [service, { started, waiting }] of moving) {
    const room = Math.max(0, parallelism(service) - started.length)
    for (const key of waiting.sort().slice(room)) blocked.add(key)
  }
  return (key) => !blocked.has(key)
}
