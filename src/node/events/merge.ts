// Merging the events of several members into one stream. History is sorted by time
// (then node, then id, so equal times read the same everywhere); live events pass in
// the order they arrive. Each node's event is unique by (node, id, time). A member
// event is seen by every observer of the member: one (kind, member) is shown once within
// MEMBER_DEDUPE_MS, from whichever node told it first. The incarnation (the member's
// node record's startedAt) is not compared: an observer may hear a restarted member's
// beats before its new record, and would tell the same return with the old one.

import { DEDUPE_LIMIT, MEMBER_DEDUPE_MS } from './constants.ts'
import type { MeshEvent } from './types.ts'

/** Events in time order: by time, then node name, then id. */
export function byTime (a: MeshEvent, b: MeshEvent): number {
  return (a.time - b.time) || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0) || (a.id - b.id)
}

/** The key deduplication compares: one per observed event, one per member transition. */
export function eventKey (event: MeshEvent): string {
  if (event.kind.startsWith('member.') && event.member !== undefined) return `member\u0000${event.kind}\u0000${event.member}`
  return `event\u0000${event.node}\u0000${event.id}\u0000${event.time}`
}

/** Remembers the events a stream has passed (at most DEDUPE_LIMIT, the oldest forgotten first). */
export class Deduper {
  private readonly seen = new Map<string, number>()
  private readonly limit: number

  constructor (limit = DEDUPE_LIMIT) {
    this.limit = limit
  }

  /** True the first time an event is offered; false for a copy (a member event within MEMBER_DEDUPE_MS of the one shown). */
  admit (event: MeshEvent): boolean {
    const key = eventKey(event)
    const before = this.seen.get(key)
    const member = key.startsWith('member')
    if (before !== undefined && (!member || Math.abs(event.time - before) <= MEMBER_DEDUPE_MS)) return false
    this.seen.delete(key)
    this.seen.set(key, event.time)
    if (this.seen.size > this.limit) this.seen.delete(this.seen.keys().next().value as string)
    return true
  }
}

/** Several members' histories as one: in time order, copies left out. */
export function mergeHistories (histories: ReadonlyArray<readonly MeshEvent[]>, dedupe: Deduper): MeshEvent[] {
  return histories.flat().sort(byTime).filter((event) => dedupe.admit(event))
}
