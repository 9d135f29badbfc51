// settle(): which slot runs where, given where slots run now. place() decides how many
// slots of each service every node holds; settle() keeps every running replica that
// fits those counts where it is and moves only the surplus. A join then moves exactly
// what the newcomer gains (plus any node whose count rises), never a chain of displaced
// slots between old nodes, and a slot that runs somewhere placement would not have put
// it stays while its node has room for it.
//
// Still pure: the locations come from the cluster document, so nodes that see the same
// document compute the same answer. It is a fixed point — settling against its own
// result changes nothing — and every count-based limit of place() (spread, bounded
// load, maxPerNode, resources, constraints) holds, because the per-node counts of every
// service are place()'s own.

import { hashInto, unitHash } from './hash.ts'
import type { Placement, SlotAssignment } from './types.ts'

/** A replica of a slot that a member holds now, and since when (ms) it holds that slot. */
export interface SlotLocation {
  key: string
  node: string
  since: number
}

/** Moves the slots of `placement` as little as possible from where `located` says they run. */
export function settle (placement: Placement, located: readonly SlotLocation[]): Placement {
  const byKey = new Map<string, SlotLocation[]>()
  for (const location of located) byKey.set(location.key, [...(byKey.get(location.key) ?? []), location])
  const assignments: SlotAssignment[] = []
  const rank = ranking()
  let start = 0
  const all = placement.assignments
  for (let end = 1; end <= all.length; end++) {
    if (end < all.length && all[end]!.service === all[start]!.service) continue
    assignments.push(...settleService(all.slice(start, end), byKey, rank))
    start = end
  }
  return { assignments, unplaced: placement.unplaced }
}

function settleService (home: readonly SlotAssignment[], byKey: ReadonlyMap<string, SlotLocation[]>, { score, order }: Ranking): SlotAssignment[] {
  const room = new Map<string, number>()
  for (const { node } of home) room.set(node, (room.get(node) ?? 0) + 1)

  // One location per slot: the newest replica on a node that holds any of the service
  // (a handoff's new owner; the takeover after a partition heals), ties to the home node.
  const at = new Map<string, string>()
  for (const slot of home) {
    const best = (byKey.get(slot.key) ?? [])
      .filter(l => room.has(l.node))
      .sort((a, b) => b.since - a.since || Number(b.node === slot.node) - Number(a.node === slot.node) || order(slot.key, a.node, b.node))[0]
    if (best !== undefined) at.set(slot.key, best.node)
  }

  // Each node keeps as many of its located slots as place() gives it: those placed
  // there first, then the best-ranked there.
  const kept = new Map<string, string>()
  const keepers = home
    .filter(slot => at.has(slot.key))
    .sort((a, b) => Number(at.get(b.key) === b.node) - Number(at.get(a.key) === a.node) || score(b.key, at.get(b.key)!) - score(a.key, at.get(a.key)!) || a.slot - b.slot)
  for (const slot of keepers) {
    const node = at.get(slot.key)!
    if (room.get(node)! <= 0) continue
    room.set(node, room.get(node)! - 1)
    kept.set(slot.key, node)
  }

  // The rest go to their home node while it has room, else to the best-ranked node with room.
  const free = home.filter(slot => !kept.has(slot.key))
  for (const slot of free) {
    if (room.get(slot.node)! <= 0) continue
    room.set(slot.node, room.get(slot.node)! - 1)
    kept.set(slot.key, slot.node)
  }
  for (const slot of free) {
    if (kept.has(slot.key)) continue
    let best: string | undefined
    for (const [node, left] of room) {
      if (left > 0 && (best === undefined || order(slot.key, node, best) < 0)) best = node
    }
    room.set(best!, room.get(best!)! - 1)
    kept.set(slot.key, best!)
  }
  return home.map(slot => ({ ...slot, node: kept.get(slot.key)! }))
}

/**
 * The rendezvous rank of a slot on a node (the unweighted u of place()), each string
 * hashed once per call of settle, and an order of nodes for a slot by it.
 */
interface Ranking {
  score: (key: string, node: string) => number
  order: (key: string, a: string, b: string) => number
}

function ranking (): Ranking {
  const hashes = new Map<string, Int32Array>()
  const lanesOf = (text: string): Int32Array => {
    let lanes = hashes.get(text)
    if (lanes === undefined) {
      lanes = new Int32Array(2)
      hashInto(text, lanes, 0)
      hashes.set(text, lanes)
    }
    return lanes
  }
  const score = (key: string, node: string): number => {
    const a = lanesOf(key)
    const b = lanesOf(node)
    return unitHash(a[0]!, a[1]!, b[0]!, b[1]!)
  }
  // Negative when node a ranks before node b for the slot: higher score, then lower id.
  const order = (key: string, a: string, b: string): number => score(key, b) - score(key, a) || (a < b ? -1 : a > b ? 1 : 0)
  return { score, order }
}
