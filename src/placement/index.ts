// Placement: pure, deterministic functions from services and members to slot
// assignments (docs/architecture.md). No I/O, no clock, no randomness; inputs are
// sorted first, so every node computes the same placement from the same snapshot.
//
// - Ranking: weighted rendezvous hashing, score = −cpus / ln u, u = hash(slot key,
//   member id) ∈ (0, 1) (hash.ts).
// - Replicated slots `name#0 … name#R-1` are matched to nodes by deferred acceptance
//   (bounded.ts): one replica per node while replicas ≤ eligible nodes; otherwise one
//   on every node first, then at most ⌈2 × its share⌉ on a node; no node above
//   ⌈loadFactor × its fair share⌉. Slots that fit nowhere within those limits take any
//   node with room (leftovers.ts); the rest are unplaced, with the lowest slot numbers
//   placed first and a filter-chain explanation (explain.ts).
// - Global slots `name#<n>`: n is a 32-bit hash of the member id (global.ts), so a
//   join or a leave never renumbers another member's global replica.

export type { Constraint, Placement, PlacementMember, PlacementService, PlaceOptions, SlotAssignment, Unplaced } from './types.ts'
export { place, slotsOfNode } from './place.ts'
export { parseConstraint, matchesConstraint } from './constraint.ts'
export { globalSlotOf } from './global.ts'
export { diffPlacement } from './diff.ts'
export type { PlacementDiff, SlotMove } from './diff.ts'
export { DEFAULT_LOAD_FACTOR } from './constants.ts'
export { byText } from './cluster.ts'
export { formatBytes } from './explain.ts'
export { settle } from './settle.ts'
export type { SlotLocation } from './settle.ts'
export { slotKey, parseSlotKey } from './slot-key.ts'
export { hash32 } from './hash.ts'
