// Global services: one slot per eligible node. A node's slot number comes from its own
// id alone (a 32-bit hash), so a node joining or leaving never renumbers — and so never
// restarts — the global replicas of the other nodes. Two ids whose hashes collide are
// told apart by probing upward in id order: the one case (odds ≈ N²/2³³) where a
// join or leave can renumber another node's global slot.

import { GLOBAL_SLOT_SEED } from './constants.ts'
import { fits, reserve } from './cluster.ts'
import type { NodeTable, ServiceEntry } from './cluster.ts'
import { explainNode, explainService } from './explain.ts'
import { hash32 } from './hash.ts'
import type { SlotAssignment, Unplaced } from './types.ts'
import { slotKey } from './slot-key.ts'

const SLOT_SPACE = 2 ** 32

/** The global slot number of every node, by node index. */
export function globalSlotNumbers (nodes: NodeTable): Float64Array {
  const numbers = new Float64Array(nodes.size)
  const taken = new Set<number>()
  for (let n = 0; n < nodes.size; n++) {
    let slot = hash32(nodes.members[n]!.id, GLOBAL_SLOT_SEED)
    while (taken.has(slot)) slot = (slot + 1) % SLOT_SPACE
    taken.add(slot)
    numbers[n] = slot
  }
  return numbers
}

/** The global slot number a node with this id takes (when no other member's hash collides with it). */
export function globalSlotOf (nodeId: string): number {
  return hash32(nodeId, GLOBAL_SLOT_SEED)
}

/**
 * Places one slot of each global service on each of its eligible nodes, reserving
 * resources before replicated slots are placed (a node's daemons come first).
 */
export function placeGlobal (nodes: NodeTable, services: readonly ServiceEntry[]): { assignments: SlotAssignment[], unplaced: Unplaced[] } {
  const assignments: SlotAssignment[] = []
  const unplaced: Unplaced[] = []
  let numbers: Float64Array | undefined
  for (const service of services) {
    if (!service.global) continue
    if (service.eligible.length === 0) {
      unplaced.push({ service: service.name, slot: -1, key: `${service.name}#*`, reason: explainService(nodes, service, () => 0) })
      continue
    }
    numbers ??= globalSlotNumbers(nodes)
    const placed: SlotAssignment[] = []
    for (const n of service.eligible) {
      const slot = numbers[n]!
      const key = slotKey(service.name, slot)
      if (service.maxPerNode >= 1 && fits(nodes, n, service)) {
        reserve(nodes, n, service, 1)
        placed.push({ service: service.name, slot, key, node: nodes.members[n]!.id })
      } else {
        unplaced.push({ service: service.name, slot, key, reason: explainNode(nodes, n, service) })
      }
    }
    assignments.push(...placed.sort((a, b) => a.slot - b.slot))
  }
  return { assignments, unplaced }
}
