// Shared fixtures of the placement tests: a seeded PRNG, random clusters and services,
// shuffles, and movement measured the way the design states it.

import { diffPlacement, place, settle } from '../../src/placement/index.ts'
import type { Placement, PlacementMember, PlacementService } from '../../src/placement/index.ts'
import { prng } from '../support/prng.ts'
import type { Rng } from '../support/prng.ts'

export { prng }
export type { Rng }

export const GiB = 2 ** 30
export const MiB = 2 ** 20

/** A Fisher–Yates shuffled copy. */
export function shuffle<T> (rng: Rng, items: readonly T[]): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const held = copy[i]!
    copy[i] = copy[j]!
    copy[j] = held
  }
  return copy
}

export function member (id: string, fields: Partial<PlacementMember> = {}): PlacementMember {
  return { id, name: id, labels: {}, capacity: { cpus: 4, memory: 8 * GiB }, alive: true, draining: false, ...fields }
}

export function service (name: string, replicas: number, fields: Partial<PlacementService> = {}): PlacementService {
  return { name, replicas, mode: 'replicated', constraints: [], ...fields }
}

/** `count` members with ids that do not sort like their numbers (as peer ids do not). */
export function members (rng: Rng, count: number, fields: (i: number) => Partial<PlacementMember> = () => ({})): PlacementMember[] {
  return Array.from({ length: count }, (_, i) => member(`12D3Koo${(rng.int(2 ** 30)).toString(36)}${i}`, { name: `node-${i}`, ...fields(i) }))
}

export interface RandomClusterOptions {
  nodes: number
  /** Total replicated slots to reach (roughly). */
  slots: number
  replicas: (rng: Rng, nodes: number) => number
  weighted?: boolean
  /** The cpus a weighted member picks from (default 1 to 16). */
  cpus?: number[]
  /** Zone labels, constraints on them and on names, dead and draining members, resources, maxPerNode, global services. */
  everything?: boolean
}

/** A random cluster and services; with `everything`, every feature placement knows about. */
export function randomCluster (rng: Rng, opts: RandomClusterOptions): { members: PlacementMember[], services: PlacementService[] } {
  const all = opts.everything === true
  const zones = ['a', 'b', 'c']
  const cluster = members(rng, opts.nodes, () => ({
    labels: all ? { zone: rng.pick(zones), ...(rng.next() < 0.3 ? { ssd: 'true' } : {}) } : {},
    capacity: { cpus: opts.weighted === true ? rng.pick(opts.cpus ?? [1, 2, 4, 8, 16]) : 4, memory: all && rng.next() < 0.8 ? rng.pick([1, 2, 4]) * GiB : 0 },
    alive: !all || rng.next() > 0.1,
    draining: all && rng.next() < 0.1
  }))
  const services: PlacementService[] = []
  let total = 0
  while (total < opts.slots) {
    const replicas = opts.replicas(rng, opts.nodes)
    const spec = service(`svc-${rng.int(2 ** 30).toString(36)}-${services.length}`, replicas)
    if (all) decorate(rng, spec, cluster)
    services.push(spec)
    if (spec.mode === 'replicated') total += replicas
  }
  return { members: cluster, services }
}

function decorate (rng: Rng, spec: PlacementService, cluster: readonly PlacementMember[]): void {
  const space = (): string => rng.pick(['', ' ', '  '])
  if (rng.next() < 0.3) spec.constraints.push(`node.labels.zone${space()}${rng.pick(['==', '!='])}${space()}${rng.pick(['a', 'b', 'c'])}`)
  if (rng.next() < 0.1) spec.constraints.push(`${space()}node.name!=${rng.pick(cluster).name}${space()}`)
  if (rng.next() < 0.1) spec.constraints.push('node.labels.ssd==true')
  if (rng.next() < 0.2) spec.maxPerNode = 1 + rng.int(2)
  if (rng.next() < 0.3) spec.resources = { cpus: rng.pick([0.25, 0.5, 1]), memory: rng.pick([128, 256, 512]) * MiB }
  if (rng.next() < 0.1) spec.mode = 'global'
}

/** Replicas mostly small, some up to the node count, a few larger: services as people run them. */
export function mixedReplicas (rng: Rng, nodes: number): number {
  const roll = rng.next()
  if (roll < 0.6) return 1 + rng.int(5)
  if (roll < 0.9) return 1 + rng.int(nodes)
  return 1 + rng.int(4 * nodes)
}

export interface MovementRatios {
  /** Slots that changed node on a join, over the newcomer's weighted share of the slots. */
  join: number
  /**
   * Slots that changed node on a leave (the leaving node's own, which must move, and
   * any other), over the leaving node's slots.
   */
  leave: number
}

/**
 * Moved over ideal, summed over `trials` random clusters (a join of a new member and
 * the leave of a random one in each), so the ratio is of totals, not a mean of ratios.
 */
export function movement (seed: number, trials: number, loadFactor: number, cluster: (rng: Rng) => { members: PlacementMember[], services: PlacementService[] }): MovementRatios {
  let joinMoved = 0
  let joinIdeal = 0
  let leaveMoved = 0
  let leaveIdeal = 0
  for (let trial = 0; trial < trials; trial++) {
    const rng = prng(seed * 1000 + trial)
    const { members: current, services } = cluster(rng)
    const newcomer = member(`12D3KooWnew${trial}`, { capacity: { cpus: rng.pick(current).capacity.cpus, memory: 0 } })
    const leaving = rng.pick(current).id
    // As the daemon does: the counts from place(), the slots settled against where they run.
    const before = place(services, current, { loadFactor })
    const running = before.assignments.map(({ key, node }) => ({ key, node, since: 0 }))
    const joined = settle(place(services, [...current, newcomer], { loadFactor }), running)
    const left = settle(place(services, current.filter(m => m.id !== leaving), { loadFactor }), running)
    const weight = current.reduce((sum, m) => sum + m.capacity.cpus, 0)
    joinMoved += diffPlacement(before, joined).moved.length
    joinIdeal += before.assignments.length * newcomer.capacity.cpus / (weight + newcomer.capacity.cpus)
    leaveMoved += diffPlacement(before, left).moved.length
    leaveIdeal += before.assignments.filter(a => a.node === leaving).length
  }
  return { join: joinMoved / joinIdeal, leave: leaveMoved / leaveIdeal }
}

/** Replicated slots per member id. */
export function loads (placement: Placement): Map<string, number> {
  const counts = new Map<string, number>()
  for (const { node } of placement.assignments) counts.set(node, (counts.get(node) ?? 0) + 1)
  return counts
}

/** An evaluation of constraint text written apart from the parser, to check placements against. */
export function satisfies (m: PlacementMember, constraint: string): boolean {
  const match = /^\s*node\.(name|id|hostname|labels\.(.+?))\s*(==|!=)\s*(.*?)\s*$/.exec(constraint)
  if (match === null) throw new Error(`test cannot read ${constraint}`)
  const [, field, label, op, value] = match
  const actual = label !== undefined ? m.labels[label] : field === 'id' ? m.id : m.name
  return (actual === value) === (op === '==')
}

/** Alive, not draining, and passing every constraint of the service. */
export function eligible (m: PlacementMember, spec: PlacementService): boolean {
  return m.alive && !m.draining && spec.constraints.every(c => satisfies(m, c))
}
