// What changed between two placements, slot by slot: for logging a reconcile as
// counts, and for measuring how much a join or a leave moves.

import type { Placement, SlotAssignment } from './types.ts'

export interface SlotMove {
  key: string
  from: string
  to: string
}

export interface PlacementDiff {
  /** Slots on the same node in both. */
  kept: number
  /** Slots placed in both, on different nodes. */
  moved: SlotMove[]
  /** Slots placed only in `after`, and only in `before`. */
  added: SlotAssignment[]
  removed: SlotAssignment[]
}

/** Compares two placements by slot key. */
export function diffPlacement (before: Placement, after: Placement): PlacementDiff {
  const was = new Map(before.assignments.map(a => [a.key, a]))
  const diff: PlacementDiff = { kept: 0, moved: [], added: [], removed: [] }
  for (const assignment of after.assignments) {
    const old = was.get(assignment.key)
    was.delete(assignment.key)
    if (old === undefined) diff.added.push(assignment)
    else if (old.node === assignment.node) diff.kept++
    else diff.moved.push({ key: assignment.key, from: old.node, to: assignment.node })
  }
  diff.removed.push(...was.values())
  return diff
}
