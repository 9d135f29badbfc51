// Which slots this node should run. Until placement lands (issue 4), a one-node rule:
// every slot of every replicated service belongs to the local node. The Reconciler
// takes the rule as a function so placement plugs in without touching it.

import { slotKey } from '../../crdt/index.ts'
import type { ServiceRecord } from '../../crdt/index.ts'
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
