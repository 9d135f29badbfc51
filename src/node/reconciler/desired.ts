// Which slots this node should run. Until placement lands (issue 4), a simple
// deterministic rule: slot i of a service goes to the i-th alive member, counting
// from an offset derived from the service name. The Reconciler takes the rule as a
// function so placement plugs in without touching it.

import { slotKey } from '../../crdt/index.ts'
import type { NodeRecord, ServiceRecord } from '../../crdt/index.ts'
import type { DesiredSlot } from './plan.ts'

/** Decides which slots of the cluster this node runs. */
export type SlotAssignment = (services: Record<string, ServiceRecord>) => DesiredSlot[]

/** Every slot of every service, for a node that runs everything. */
export function allSlots (services: Record<string, ServiceRecord>): DesiredSlot[] {
  const slots: DesiredSlot[] = []
  for (const [name, record] of Object.entries(services)) {
    for (let slot = 0; slot < record.spec.replicas; slot++) {
      slots.push({ key: slotKey(name, slot), service: name, slot, generation: record.generation })
    }
  }
  return slots
}

/** This node's slots when slot i of each service goes to alive, undrained member (offset + i) mod N, members ordered by id. */
export function roundRobinSlots (services: Record<string, ServiceRecord>, self: string, nodes: Record<string, NodeRecord>, alive: (id: string) => boolean): DesiredSlot[] {
  const members = Object.keys(nodes).filter((id) => (id === self || alive(id)) && nodes[id]?.draining !== true).sort()
  if (members.length === 0) return []
  return allSlots(services).filter((slot) => members[(offsetOf(slot.service) + slot.slot) % members.length] === self)
}

function offsetOf (name: string): number {
  let hash = 0
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0
  return hash
}
