// place(): where every slot of every service runs. Pure and deterministic: members and
// services are sorted first, hashes are integer arithmetic, so any node computing it
// from the same snapshot — whatever order its maps iterate in — gets the same answer.

import { proposeAll } from './bounded.ts'
import type { PlacementRun } from './bounded.ts'
import { buildNodes, buildServices, fillLoadCaps } from './cluster.ts'
import type { ServiceEntry } from './cluster.ts'
import { DEFAULT_LOAD_FACTOR } from './constants.ts'
import { placeGlobal } from './global.ts'
import { placeLeftovers } from './leftovers.ts'
import { buildSlots } from './slots.ts'
import type { Placement, PlacementMember, PlacementService, PlaceOptions, SlotAssignment, Unplaced } from './types.ts'
import { slotKey } from './slot-key.ts'

/** Assigns every slot of `services` to one of `members`, or explains why it cannot. */
export function place (services: readonly PlacementService[], members: readonly PlacementMember[], opts: PlaceOptions = {}): Placement {
  const requested = opts.loadFactor ?? DEFAULT_LOAD_FACTOR
  const loadFactor = requested > 0 ? requested : DEFAULT_LOAD_FACTOR
  const nodes = buildNodes(members)
  const entries = buildServices(services, nodes)
  // Global slots first: they have no choice of node, so they reserve resources first.
  const global = placeGlobal(nodes, entries)
  fillLoadCaps(nodes, entries, loadFactor)
  let counters = 0
  for (const service of entries) {
    service.nodeOffset = counters
    if (!service.global) counters += service.eligible.length
  }
  const run: PlacementRun = {
    nodes,
    services: entries,
    slots: buildSlots(entries, nodes.size),
    held: new Int32Array(counters),
    holder: new Float64Array(counters).fill(-1),
    floor: new Int32Array(nodes.size).fill(-1),
    round: 1
  }
  const reasons = placeLeftovers(run, proposeAll(run))

  const assignments: SlotAssignment[] = []
  const unplaced: Unplaced[] = []
  for (const service of entries) {
    if (service.global) {
      assignments.push(...global.assignments.filter(a => a.service === service.name))
      unplaced.push(...global.unplaced.filter(u => u.service === service.name))
    } else {
      collect(run, service, reasons, assignments, unplaced)
    }
  }
  return { assignments, unplaced }
}

/** The slots placed on node `nodeId`, in placement order. */
export function slotsOfNode (placement: Placement, nodeId: string): SlotAssignment[] {
  return placement.assignments.filter(assignment => assignment.node === nodeId)
}

/**
 * Appends one replicated service's slots. When some cannot be placed, the placed ones
 * take the lowest numbers: `web#3` waits rather than `web#1`, so scaling up a service
 * that has no room left never renumbers (and restarts) the replicas already running.
 */
function collect (run: PlacementRun, service: ServiceEntry, reasons: Map<number, string>, assignments: SlotAssignment[], unplaced: Unplaced[]): void {
  const { slots, nodes } = run
  const nodeOf = Array.from({ length: service.replicas }, (_, i) => slots.node[service.firstSlot + i]!)
  const why = nodeOf.map((_, i) => reasons.get(service.firstSlot + i))
  for (let low = 0, high = nodeOf.length - 1; ; low++, high--) {
    while (low < nodeOf.length && nodeOf[low]! >= 0) low++
    while (high >= 0 && nodeOf[high]! < 0) high--
    if (low >= high) break
    nodeOf[low] = nodeOf[high]!
    nodeOf[high] = -1
    why[high] = why[low]
  }
  nodeOf.forEach((n, slot) => {
    const key = slotKey(service.name, slot)
    if (n >= 0) assignments.push({ service: service.name, slot, key, node: nodes.members[n]!.id })
    else unplaced.push({ service: service.name, slot, key, reason: why[slot] ?? 'not placed' })
  })
}


