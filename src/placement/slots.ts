// The replicated slots, in canonical order (service name, then slot index), as
// parallel typed arrays; each node's held slots form a doubly linked list through them.

import { hashInto, unitHash } from './hash.ts'
import type { NodeTable, ServiceEntry } from './cluster.ts'
import { slotKey } from './slot-key.ts'

export interface SlotTable {
  size: number
  service: Int32Array
  /** Two hash lanes per slot. */
  hash: Int32Array
  /** The node holding the slot, or -1. */
  node: Int32Array
  /** The slot's score on its node (HRW rank, higher wins). */
  score: Float64Array
  /** The last node proposed to and its score: the next proposal ranks strictly below. */
  lastScore: Float64Array
  lastNode: Int32Array
  /** Position of lastNode in the service's eligible nodes. */
  lastPos: Int32Array
  /** Placed in the first round: later rounds do not displace it. */
  pinned: Uint8Array
  /** Per node: the first held slot; per slot: its neighbours in that list. */
  head: Int32Array
  next: Int32Array
  prev: Int32Array
}

/** Lays out every slot of every replicated service; sets each service's firstSlot. */
export function buildSlots (services: ServiceEntry[], nodeCount: number): SlotTable {
  let size = 0
  for (const service of services) {
    service.firstSlot = size
    size += service.replicas
  }
  const slots: SlotTable = {
    size,
    service: new Int32Array(size),
    hash: new Int32Array(2 * size),
    node: new Int32Array(size).fill(-1),
    score: new Float64Array(size),
    lastScore: new Float64Array(size).fill(Infinity),
    lastNode: new Int32Array(size).fill(-1),
    lastPos: new Int32Array(size).fill(-1),
    head: new Int32Array(nodeCount).fill(-1),
    pinned: new Uint8Array(size),
    next: new Int32Array(size).fill(-1),
    prev: new Int32Array(size).fill(-1)
  }
  services.forEach((service, s) => {
    for (let i = 0; i < service.replicas; i++) {
      const x = service.firstSlot + i
      slots.service[x] = s
      hashInto(slotKey(service.name, i), slots.hash, x)
    }
  })
  return slots
}

/** Puts slot x on node n with its score there. */
export function attach (slots: SlotTable, x: number, n: number, score: number): void {
  slots.node[x] = n
  slots.score[x] = score
  const first = slots.head[n]!
  slots.prev[x] = -1
  slots.next[x] = first
  if (first >= 0) slots.prev[first] = x
  slots.head[n] = x
}

/** Takes slot x off its node. */
export function detach (slots: SlotTable, x: number): void {
  const n = slots.node[x]!
  const before = slots.prev[x]!
  const after = slots.next[x]!
  if (before >= 0) slots.next[before] = after
  else slots.head[n] = after
  if (after >= 0) slots.prev[after] = before
  slots.node[x] = -1
  slots.next[x] = -1
  slots.prev[x] = -1
}

/** Whether slot x outranks slot y on the same node (ties: the lower slot id). */
export function outranks (slots: SlotTable, x: number, score: number, y: number): boolean {
  const other = slots.score[y]!
  return score > other || (score === other && x < y)
}

/** Slot x's rendezvous score on node n: −weight / ln(u), or u itself when weights are equal. */
export function scoreOn (nodes: NodeTable, slots: SlotTable, x: number, n: number): number {
  const u = unitHash(slots.hash[2 * x]!, slots.hash[2 * x + 1]!, nodes.hash[2 * n]!, nodes.hash[2 * n + 1]!)
  return nodes.weighted ? -nodes.weight[n]! / Math.log(u) : u
}
