// Placement: how long 10k slots take to place on 100 nodes, how even the result is, and
// how much a join or a leave moves against HRW's ideal (the newcomer's share of the
// slots; the leaving node's slots). Goals (ANCHORS.md): ≤ 50 ms; moved ≤ 1.1× ideal with
// plain HRW, ≤ 1.3× with bounded load.
// Run directly: node bench/placement.ts

import { diffPlacement, place, settle } from '../src/placement/index.ts'
import type { Placement, PlacementMember, PlacementService } from '../src/placement/index.ts'

export interface PlacementBenchResult {
  slots: number
  nodes: number
  services: number
  /** Median of RUNS placements after WARMUP; bounded load (loadFactor 1.25). */
  ms: number
  /** The very first placement, before the JIT has warmed up. */
  firstMs: number
  /** Median with unequal nodes (2, 4, 8 or 16 cpus): ranking takes a logarithm then. */
  weightedMs: number
  /** The busiest node's slots over the average, with bounded load and with plain HRW. */
  maxOverAvg: number
  plainMaxOverAvg: number
  /** Slots moved over ideal, over JOINS joins and JOINS leaves; bounded load. */
  joinMovedOverIdeal: number
  leaveMovedOverIdeal: number
  /** The same with plain HRW (loadFactor Infinity). */
  plainJoinMovedOverIdeal: number
  plainLeaveMovedOverIdeal: number
  unplaced: number
}

const SLOTS = 10_000
const NODES = 100
const WARMUP = 5
const RUNS = 15
const JOINS = 5

/** mulberry32, seeded: the same cluster on every run. */
function prng (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function member (random: () => number, i: number, cpus: number): PlacementMember {
  const id = `12D3KooW${Math.floor(random() * 2 ** 48).toString(36)}${i}`
  return { id, name: `node-${i}`, labels: {}, capacity: { cpus, memory: 16 * 2 ** 30 }, alive: true, draining: false }
}

/** Services as people run them: mostly 1–5 replicas, some up to half the nodes, a few up to 4× the nodes. */
function services (random: () => number): PlacementService[] {
  const list: PlacementService[] = []
  let total = 0
  while (total < SLOTS) {
    const roll = random()
    const wanted = 1 + Math.floor(random() * (roll < 0.6 ? 5 : roll < 0.9 ? NODES / 2 : 4 * NODES))
    const replicas = Math.min(wanted, SLOTS - total)
    list.push({ name: `svc-${list.length}`, replicas, mode: 'replicated', constraints: [] })
    total += replicas
  }
  return list
}

function medianMs (work: () => void): { ms: number, firstMs: number } {
  const times: number[] = []
  for (let run = 0; run < WARMUP + RUNS; run++) {
    const started = performance.now()
    work()
    times.push(performance.now() - started)
  }
  const first = times[0] ?? 0
  const timed = times.slice(WARMUP).sort((a, b) => a - b)
  return { ms: round(timed[RUNS >> 1] ?? 0), firstMs: round(first) }
}

function maxOverAvg (placement: Placement): number {
  const load = new Map<string, number>()
  for (const { node } of placement.assignments) load.set(node, (load.get(node) ?? 0) + 1)
  return round(Math.max(...load.values()) / (placement.assignments.length / NODES))
}

/** Moved over ideal for JOINS joins of a new node and JOINS leaves of a random one. */
function movement (random: () => number, specs: PlacementService[], cluster: PlacementMember[], loadFactor: number): { join: number, leave: number } {
  const before = place(specs, cluster, { loadFactor })
  // As the daemon moves slots: place()'s counts, settled against where the slots run.
  const running = before.assignments.map(({ key, node }) => ({ key, node, since: 0 }))
  let joinMoved = 0
  let leaveMoved = 0
  let leaveIdeal = 0
  for (let i = 0; i < JOINS; i++) {
    const newcomer = member(random, NODES + i, 4)
    joinMoved += diffPlacement(before, settle(place(specs, [...cluster, newcomer], { loadFactor }), running)).moved.length
    const leaving = cluster[Math.floor(random() * cluster.length)]!.id
    leaveMoved += diffPlacement(before, settle(place(specs, cluster.filter(m => m.id !== leaving), { loadFactor }), running)).moved.length
    leaveIdeal += before.assignments.filter(a => a.node === leaving).length
  }
  const joinIdeal = JOINS * before.assignments.length / (NODES + 1)
  return { join: round(joinMoved / joinIdeal), leave: round(leaveMoved / leaveIdeal) }
}

/** Places 10k slots of a realistic service mix on 100 nodes; times it and measures balance and movement. */
export async function benchPlacement (): Promise<PlacementBenchResult> {
  const random = prng(42)
  const specs = services(random)
  const cluster = Array.from({ length: NODES }, (_, i) => member(random, i, 4))
  const unequal = Array.from({ length: NODES }, (_, i) => member(random, i, [2, 4, 8, 16][Math.floor(random() * 4)]!))
  const { ms, firstMs } = medianMs(() => place(specs, cluster))
  const weighted = medianMs(() => place(specs, unequal))
  const bounded = place(specs, cluster)
  const plain = place(specs, cluster, { loadFactor: Infinity })
  const boundedMoves = movement(prng(7), specs, cluster, 1.25)
  const plainMoves = movement(prng(7), specs, cluster, Infinity)
  return {
    slots: SLOTS,
    nodes: NODES,
    services: specs.length,
    ms,
    firstMs,
    weightedMs: weighted.ms,
    maxOverAvg: maxOverAvg(bounded),
    plainMaxOverAvg: maxOverAvg(plain),
    joinMovedOverIdeal: boundedMoves.join,
    leaveMovedOverIdeal: boundedMoves.leave,
    plainJoinMovedOverIdeal: plainMoves.join,
    plainLeaveMovedOverIdeal: plainMoves.leave,
    unplaced: bounded.unplaced.length
  }
}

function round (value: number): number {
  return Math.round(value * 100) / 100
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchPlacement()))
}
