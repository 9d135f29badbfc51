// Which slots this node should run. The Reconciler takes the rule as a function: the
// daemon passes cluster placement (placement.ts); allSlots is the rule of a node alone.

import { slotKey } from '../../crdt/index.ts'
import type { ServiceRecord } from '../../crdt/index.ts'
import type { DesiredSlot } from './plan.ts'

/** Decides which slots of the cluster this node runs, and which of its other replicas it must hold for a handoff. */
export type SlotAssignment = (services: Record<string, ServiceRecord>) => { desired: DesiredSlot[], hold?: (key: string) => boolean }

/** Every slot of every replicated service, for a node that runs everything. */
export function allSlots (services: Record<string, ServiceRecord>): { desired: DesiredSlot[] } {
  return { desired: everySlot(services) }
}

function everySlot (services: Record<string, ServiceRecord>): DesiredSlot[] {
  const slots: DesiredSlot[] = []
  for (const [name, record] of Object.entries(services)) {
    for (let slot = 0; slot < record.spec.replicas; slot++) {
      slots.push({ key: slotKey(name, slot), service: name, slot, generation: record.generation })
    }
  }
  return slots
}
