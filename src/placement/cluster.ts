// The tables placement works on: members and services in a canonical order (so the
// input order never matters), typed arrays for everything the inner loop reads, and
// each node's hash computed once.

import { SHARE_EPSILON, SPREAD_FACTOR } from './constants.ts'
import { matchesConstraint, parseConstraint } from './constraint.ts'
import { hashInto } from './hash.ts'
import type { Constraint, PlacementMember, PlacementService } from './types.ts'

export interface NodeTable {
  size: number
  /** Sorted by id. */
  members: PlacementMember[]
  /** Two hash lanes per node. */
  hash: Int32Array
  /** capacity.cpus, or 1 when unknown. */
  weight: Float64Array
  /** False when every weight is equal: rank by u alone, no logarithm. */
  weighted: boolean
  /** Left after reservations; Infinity when the capacity is unknown. */
  milliCpusFree: Float64Array
  memoryFree: Float64Array
  /** Indices of the members alive and not draining, and their total weight. */
  usable: Int32Array
  usableWeight: number
  /** Replicated slots held, and ⌈loadFactor × fair share⌉. */
  load: Int32Array
  loadCap: Float64Array
}

export interface ServiceEntry {
  name: string
  global: boolean
  replicas: number
  constraints: Constraint[]
  /** Why no node can ever be eligible: a constraint that does not parse. */
  invalid: string | undefined
  /** Indices of the nodes alive, not draining and passing every constraint. */
  eligible: Int32Array
  totalWeight: number
  milliCpus: number
  memory: number
  maxPerNode: number
  /**
   * Per eligible position: how many slots of this service the node takes before the
   * slots go elsewhere. Undefined when replicas ≤ eligible nodes: one per node.
   */
  caps: Float64Array | undefined
  /** Where this service's per-eligible-node counters start in PlacementRun.held and .holder. */
  nodeOffset: number
  /** First slot id of this service in the SlotTable (replicated services only). */
  firstSlot: number
  /** The service name's two hash lanes: its own rank of the nodes. */
  hash: Int32Array
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
export function byText (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** ⌈x⌉ that forgives the rounding error of a sum of floats. */
export function ceilShare (x: number): number {
  return Math.ceil(x - SHARE_EPSILON)
}

function serviceHash (name: string): Int32Array {
  const lanes = new Int32Array(2)
  hashInto(name, lanes, 0)
  return lanes
}

/** A capacity placement enforces: a positive number. Anything else is unknown. */
function knownCapacity (value: number): boolean {
  return Number.isFinite(value) && value > 0
}

/** Builds the node table; loads and caps are filled in by fillLoadCaps. */
export function buildNodes (input: readonly PlacementMember[]): NodeTable {
  const members = [...input].sort((a, b) => byText(a.id, b.id))
  const size = members.length
  const nodes: NodeTable = {
    size,
    members,
    hash: new Int32Array(2 * size),
    weight: new Float64Array(size),
    weighted: false,
    milliCpusFree: new Float64Array(size),
    memoryFree: new Float64Array(size),
    usable: new Int32Array(0),
    usableWeight: 0,
    load: new Int32Array(size),
    loadCap: new Float64Array(size)
  }
  const usable: number[] = []
  for (let n = 0; n < size; n++) {
    const { id, capacity } = members[n]!
    hashInto(id, nodes.hash, n)
    nodes.weight[n] = knownCapacity(capacity.cpus) ? capacity.cpus : 1
    nodes.milliCpusFree[n] = knownCapacity(capacity.cpus) ? Math.round(capacity.cpus * 1000) : Infinity
    nodes.memoryFree[n] = knownCapacity(capacity.memory) ? capacity.memory : Infinity
    if (nodes.weight[n] !== nodes.weight[0]) nodes.weighted = true
    if (!members[n]!.alive || members[n]!.draining) continue
    usable.push(n)
    nodes.usableWeight += nodes.weight[n]!
  }
  nodes.usable = Int32Array.from(usable)
  return nodes
}

/** Builds one entry per service, sorted by name, with its statically eligible nodes. */
export function buildServices (input: readonly PlacementService[], nodes: NodeTable): ServiceEntry[] {
  const services = [...input].sort((a, b) => byText(a.name, b.name))
  return services.map(spec => buildService(spec, nodes))
}

function buildService (spec: PlacementService, nodes: NodeTable): ServiceEntry {
  const constraints: Constraint[] = []
  let invalid: string | undefined
  try {
    for (const text of spec.constraints ?? []) constraints.push(parseConstraint(text))
  } catch (err) {
    invalid = (err as Error).message
  }
  const { eligible, totalWeight } = invalid === undefined ? eligibleNodes(nodes, constraints) : { eligible: new Int32Array(0), totalWeight: 0 }
  const global = spec.mode === 'global'
  const replicas = global ? 0 : Math.max(0, Math.floor(Number.isFinite(spec.replicas) ? spec.replicas : 0))
  const maxPerNode = spec.maxPerNode === undefined || Number.isNaN(spec.maxPerNode) ? Infinity : Math.max(0, Math.floor(spec.maxPerNode))
  return {
    name: spec.name,
    global,
    replicas,
    constraints,
    invalid,
    eligible,
    totalWeight,
    milliCpus: Math.round(amount(spec.resources?.cpus) * 1000),
    memory: amount(spec.resources?.memory),
    maxPerNode,
    caps: replicas <= eligible.length ? undefined : spreadCaps(replicas, eligible, totalWeight, nodes),
    nodeOffset: 0,
    firstSlot: 0,
    hash: serviceHash(spec.name)
  }
}

/** The usable nodes passing every constraint; without constraints, the shared `usable` array itself. */
function eligibleNodes (nodes: NodeTable, constraints: readonly Constraint[]): { eligible: Int32Array, totalWeight: number } {
  if (constraints.length === 0) return { eligible: nodes.usable, totalWeight: nodes.usableWeight }
  const eligible: number[] = []
  let totalWeight = 0
  for (const n of nodes.usable) {
    const member = nodes.members[n]!
    let passes = true
    for (const constraint of constraints) passes &&= matchesConstraint(constraint, member)
    if (!passes) continue
    eligible.push(n)
    totalWeight += nodes.weight[n]!
  }
  return { eligible: Int32Array.from(eligible), totalWeight }
}

/**
 * More replicas than nodes: node n takes up to ⌈SPREAD_FACTOR × its share⌉ of them. A
 * loose cap: it stops pile-ups without pinning slots away from their HRW choice, which
 * would make joins and leaves move many more of them.
 */
function spreadCaps (replicas: number, eligible: Int32Array, totalWeight: number, nodes: NodeTable): Float64Array {
  const caps = new Float64Array(eligible.length)
  for (let i = 0; i < eligible.length; i++) caps[i] = Math.max(1, ceilShare(SPREAD_FACTOR * replicas * nodes.weight[eligible[i]!]! / totalWeight))
  return caps
}

/** A requested amount: anything but a positive finite number reserves nothing. */
function amount (value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0
}

/**
 * A node's fair share is what plain HRW would give it on average: for each replicated
 * service it is eligible for, replicas × its weight / the eligible nodes' total weight.
 */
export function fillLoadCaps (nodes: NodeTable, services: readonly ServiceEntry[], loadFactor: number): void {
  // Σ replicas / total weight per node, times the node's weight at the end; services
  // without constraints (eligible = usable) add to one common term.
  const perWeight = new Float64Array(nodes.size)
  let common = 0
  for (const service of services) {
    if (service.global || service.replicas === 0) continue
    const factor = service.replicas / service.totalWeight
    if (service.eligible === nodes.usable) common += factor
    else for (const n of service.eligible) perWeight[n]! += factor
  }
  for (const n of nodes.usable) perWeight[n]! += common
  for (let n = 0; n < nodes.size; n++) {
    nodes.loadCap[n] = loadFactor === Infinity ? Infinity : ceilShare(loadFactor * perWeight[n]! * nodes.weight[n]!)
  }
}

/** How many slots of `service` the node at eligible position `pos` takes (spread, and maxPerNode). */
export function spreadCap (service: ServiceEntry, pos: number): number {
  if (service.caps === undefined) return Math.min(1, service.maxPerNode)
  return Math.min(service.caps[pos]!, service.maxPerNode)
}

/** Whether node `n` has the cpus and memory one slot of `service` reserves. */
export function fits (nodes: NodeTable, n: number, service: ServiceEntry): boolean {
  return nodes.milliCpusFree[n]! >= service.milliCpus && nodes.memoryFree[n]! >= service.memory
}

/** Takes (sign 1) or gives back (sign -1) one slot's cpus and memory on node n. */
export function reserve (nodes: NodeTable, n: number, service: ServiceEntry, sign: 1 | -1): void {
  nodes.milliCpusFree[n]! -= sign * service.milliCpus
  nodes.memoryFree[n]! -= sign * service.memory
}
