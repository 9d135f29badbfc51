// Replicated slots by deferred acceptance (Gale–Shapley) over rendezvous scores: each
// slot proposes to its best-ranked node it has not tried; a node keeps the
// best-scoring slots within its limits — spread (slots of one service), bounded load
// (⌈loadFactor × fair share⌉) and resources — and hands back the one it drops, which
// proposes to its next node. With one score per (slot, node) pair, and spread and load
// limits, this is the matching a global "highest score first" greedy gives — without
// sorting all pairs — whatever order the slots propose in: a join or leave changes
// what that node gains or loses plus short chains of displaced slots, where placing
// slot after slot (each on its best free node) would cascade down the order. Resources
// are first come, first served, in canonical slot order.
//
// Rounds. In round k a node holds at most k slots of each service (and never more than
// its spread cap), and the slots placed in earlier rounds stay put: a service with at
// least as many replicas as nodes has one on every node before any node has two, two
// before any has three, and so on — counts that differ by at most one between nodes of
// equal weight (and a service with fewer replicas than nodes keeps one per node).

import { fits, reserve, spreadCap } from './cluster.ts'
import type { NodeTable, ServiceEntry } from './cluster.ts'
import { unitHash } from './hash.ts'
import { attach, detach, outranks } from './slots.ts'
import type { SlotTable } from './slots.ts'

export interface PlacementRun {
  nodes: NodeTable
  services: ServiceEntry[]
  slots: SlotTable
  /** Per service and eligible position (from service.nodeOffset): slots of that service the node holds. */
  held: Int32Array
  /**
   * Likewise: the score of the one slot of that service the node holds while it may
   * hold only one, or -1. A slot skips the nodes whose holder outranks it: proposing
   * there would be rejected.
   */
  holder: Float64Array
  /**
   * Per node: its lowest-scoring slot that may be displaced (not pinned), or -1. A node
   * at its load cap keeps out every slot scoring below it.
   */
  floor: Int32Array
  /** The round being proposed, from 1: a node takes at most `round` slots of a service. */
  round: number
}

const ACCEPTED = -1
const REJECTED = -2

/** Places every replicated slot it can; returns the slots no node would keep, ascending. */
export function proposeAll (run: PlacementRun): number[] {
  const { slots } = run
  let todo = Array.from({ length: slots.size }, (_, x) => x)
  const largest = run.services.reduce((most, service) => Math.max(most, service.caps === undefined ? 1 : Math.max(...service.caps)), 1)
  for (run.round = 1; ; run.round++) {
    const failed = proposeRound(run, todo)
    if (failed.length === 0 || (failed.length === todo.length && run.round >= largest)) return failed
    for (let x = 0; x < slots.size; x++) {
      if (slots.node[x]! >= 0) slots.pinned[x] = 1
    }
    run.floor.fill(-1)
    for (const x of failed) {
      slots.lastScore[x] = Infinity
      slots.lastNode[x] = -1
    }
    todo = failed
  }
}

function proposeRound (run: PlacementRun, todo: readonly number[]): number[] {
  const { slots } = run
  const queue = new Int32Array(Math.max(1, todo.length))
  let first = 0
  let length = 0
  for (const x of todo) queue[length++] = x
  const failed: number[] = []
  while (length > 0) {
    const x = queue[first]!
    first = (first + 1) % queue.length
    length--
    for (;;) {
      const n = nextChoice(run, x)
      if (n < 0) {
        failed.push(x)
        break
      }
      const outcome = offer(run, x, n)
      if (outcome === REJECTED) continue
      if (outcome !== ACCEPTED) {
        // Queue size suffices: a slot is either held, queued or being placed.
        queue[(first + length) % queue.length] = outcome
        length++
      }
      break
    }
  }
  return failed.sort((a, b) => a - b)
}

/** Whether the service may have only one slot per node in this round. */
function oneEach (run: PlacementRun, service: ServiceEntry): boolean {
  return run.round === 1 || service.caps === undefined
}

/**
 * The best-scoring eligible node ranked strictly below slot x's last proposal (ties
 * go to the lower node index), passing over the nodes that would reject x outright —
 * a better slot of its service held where one is allowed, a full node whose lowest
 * slot outranks x, no room for its resources — as proposing there in turn would.
 * Recorded as x's new last proposal; -1 when none is left.
 */
function nextChoice (run: PlacementRun, x: number): number {
  const { slots } = run
  const service = run.services[slots.service[x]!]!
  if (service.maxPerNode < 1) return -1
  return scan(run, x, service, oneEach(run, service))
}

/** nextChoice's loop over the eligible nodes: proposes to the best and returns it, or -1. */
function scan (run: PlacementRun, x: number, service: ServiceEntry, single: boolean): number {
  const { nodes, slots, holder } = run
  const { eligible, nodeOffset } = service
  const { hash, weight, weighted, load, loadCap } = nodes
  // After the first round the service's own rank orders the nodes, alike for all its
  // slots: the nodes that take one more than others are its top-ranked ones, a set a
  // join or leave changes by at most that node.
  const a = single ? slots.hash[2 * x]! : service.hash[0]!
  const b = single ? slots.hash[2 * x + 1]! : service.hash[1]!
  const limitScore = slots.lastScore[x]!
  const limitNode = slots.lastNode[x]!
  const needs = service.milliCpus > 0 || service.memory > 0
  let bestPos = -1
  let bestScore = -1
  // Ascending node order, so a strict > keeps the lowest index on a tie.
  for (let i = 0; i < eligible.length; i++) {
    const n = eligible[i]!
    const u = unitHash(a, b, hash[2 * n]!, hash[2 * n + 1]!)
    let score = u
    if (weighted) {
      // −ln u ≥ 1 − u, so w / (1 − u) bounds the score: most nodes need no logarithm.
      const w = weight[n]!
      const bound = w / (1 - u)
      if (bound <= bestScore || (single && bound < holder[nodeOffset + i]!)) continue
      score = -w / Math.log(u)
    }
    if (score > limitScore || (score === limitScore && n <= limitNode)) continue
    if (single && holder[nodeOffset + i]! > score) continue
    if (score <= bestScore) continue
    if (!single && run.held[nodeOffset + i]! >= capOf(run, service, i)) continue
    if (load[n]! >= loadCap[n]! && belowFloor(run, service, n, i, score)) continue
    if (needs && refuses(run, service, n, i)) continue
    bestPos = i
    bestScore = score
  }
  return bestPos < 0 ? -1 : propose(slots, x, bestPos, eligible, bestScore)
}

/**
 * Whether node n would reject a slot of `service` for want of cpus or memory, with no
 * slot to drop that could make room: skipping it saves a rescan per node when the
 * cluster is full.
 */
function refuses (run: PlacementRun, service: ServiceEntry, n: number, pos: number): boolean {
  const { nodes } = run
  return !fits(nodes, n, service) && nodes.load[n]! < nodes.loadCap[n]! && run.held[service.nodeOffset + pos]! < capOf(run, service, pos)
}

/** Whether node n, at its load cap, would reject a slot scoring `score` (ties go to offer). */
function belowFloor (run: PlacementRun, service: ServiceEntry, n: number, pos: number, score: number): boolean {
  if (run.held[service.nodeOffset + pos]! >= capOf(run, service, pos)) return false
  const floor = run.floor[n]!
  return floor < 0 || run.slots.score[floor]! > score
}

/** How many slots of `service` the node at eligible position `pos` takes in this round. */
function capOf (run: PlacementRun, service: ServiceEntry, pos: number): number {
  return Math.min(run.round, spreadCap(service, pos))
}

/** Records the proposal of slot x to the node at eligible position `pos`; returns the node. */
function propose (slots: SlotTable, x: number, pos: number, eligible: Int32Array, score: number): number {
  const n = eligible[pos]!
  slots.lastScore[x] = score
  slots.lastNode[x] = n
  slots.lastPos[x] = pos
  return n
}

/** Node n considers slot x: accepts it, accepts it and drops another slot (returned), or rejects it. */
function offer (run: PlacementRun, x: number, n: number): number {
  const { nodes, slots } = run
  const s = slots.service[x]!
  const service = run.services[s]!
  const score = slots.lastScore[x]!
  const pos = slots.lastPos[x]!
  const full = run.held[service.nodeOffset + pos]! >= capOf(run, service, pos)
  // After the first round a service's slots take the nodes with room in slot order: no
  // slot displaces another of its service (the counts come out the same, and cheaply).
  if (full && !oneEach(run, service)) return REJECTED
  if (!full && nodes.load[n]! < nodes.loadCap[n]!) return fits(nodes, n, service) ? take(run, x, n, score) : REJECTED
  // Full for this service (or overall): x gets in only in place of the lowest-scoring
  // such slot that is not pinned.
  const victim = full ? lowest(slots, n, s) : run.floor[n]!
  if (victim < 0 || !outranks(slots, x, score, victim)) return REJECTED
  // x must fit in what the victim frees: no eviction for resources alone, so one
  // large slot never knocks out several small ones.
  const freed = run.services[slots.service[victim]!]!
  if (nodes.milliCpusFree[n]! + freed.milliCpus < service.milliCpus) return REJECTED
  if (nodes.memoryFree[n]! + freed.memory < service.memory) return REJECTED
  release(run, victim)
  take(run, x, n, score)
  return victim
}

/** The lowest-scoring slot on node n that is not pinned, of service s (or of any when s is -1); -1 if none. */
function lowest (slots: SlotTable, n: number, s: number): number {
  let found = -1
  for (let y = slots.head[n]!; y >= 0; y = slots.next[y]!) {
    if (slots.pinned[y] === 1 || (s >= 0 && slots.service[y] !== s)) continue
    if (found < 0 || outranks(slots, found, slots.score[found]!, y)) found = y
  }
  return found
}

function take (run: PlacementRun, x: number, n: number, score: number): number {
  const service = run.services[run.slots.service[x]!]!
  const at = service.nodeOffset + run.slots.lastPos[x]!
  attach(run.slots, x, n, score)
  const floor = run.floor[n]!
  if (floor < 0 || outranks(run.slots, floor, run.slots.score[floor]!, x)) run.floor[n] = x
  reserve(run.nodes, n, service, 1)
  run.nodes.load[n]!++
  run.held[at]!++
  if (oneEach(run, service)) run.holder[at] = score
  return ACCEPTED
}

function release (run: PlacementRun, x: number): void {
  const service = run.services[run.slots.service[x]!]!
  const n = run.slots.node[x]!
  const at = service.nodeOffset + run.slots.lastPos[x]!
  reserve(run.nodes, n, service, -1)
  run.nodes.load[n]!--
  run.held[at]!--
  if (oneEach(run, service)) run.holder[at] = -1
  detach(run.slots, x)
  if (run.floor[n] === x) run.floor[n] = lowest(run.slots, n, -1)
}
