// The inputs and outputs of placement: plain data, so every node can compute the same
// answer from its snapshot of the cluster document.

/** A node as placement sees it: identity, labels, declared capacity and liveness. */
export interface PlacementMember {
  id: string
  name: string
  labels: Record<string, string>
  /** cpus and memory (bytes); a value that is not a positive number means "unknown, not enforced". */
  capacity: { cpus: number, memory: number }
  alive: boolean
  draining: boolean
}

/** A service as placement sees it. */
export interface PlacementService {
  name: string
  replicas: number
  mode: 'replicated' | 'global'
  /** `node.name==x`, `node.labels.zone!=b`, … (see parseConstraint). */
  constraints: string[]
  maxPerNode?: number
  /** Reserved by every replica: cpus, memory in bytes. */
  resources?: { cpus?: number, memory?: number }
}

/** One slot placed on one node. */
export interface SlotAssignment {
  service: string
  slot: number
  /** "name#slot" */
  key: string
  /** Member id. */
  node: string
}

/** A slot no node can take, and why. */
export interface Unplaced {
  service: string
  /** -1 for a global service that no node is eligible for (key "name#*"). */
  slot: number
  key: string
  /** e.g. "0 of 3 nodes eligible: 3 failed node.labels.zone==a" */
  reason: string
}

export interface Placement {
  /** Sorted by service name, then slot. */
  assignments: SlotAssignment[]
  /** Sorted by service name, then slot. */
  unplaced: Unplaced[]
}

export interface PlaceOptions {
  /** No node takes more than ⌈loadFactor × its fair share⌉ replicated slots; Infinity = plain HRW. */
  loadFactor?: number
}

/** A parsed constraint: `node.<subject>[.<key>] <op> <value>`. */
export interface Constraint {
  /** Normalised text, without whitespace around the operator: `node.labels.zone==a`. */
  text: string
  subject: 'id' | 'name' | 'label'
  /** The label key when subject is 'label', '' otherwise. */
  key: string
  op: '==' | '!='
  value: string
}
