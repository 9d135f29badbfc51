// Why a slot has no node, in the style of Nomad's and SwarmKit's filter chains: each
// node is counted once, under the first filter it fails.
// "0 of 3 nodes eligible: 2 failed node.name==x, 1 draining"

import { matchesConstraint } from './constraint.ts'
import type { NodeTable, ServiceEntry } from './cluster.ts'

/** The first filter node n fails for one more slot of `service`, or undefined when it passes them all. */
function firstFailure (nodes: NodeTable, n: number, service: ServiceEntry, heldOfService: number): string | undefined {
  const member = nodes.members[n]!
  if (!member.alive) return 'dead'
  if (member.draining) return 'draining'
  for (const constraint of service.constraints) {
    if (!matchesConstraint(constraint, member)) return `failed ${constraint.text}`
  }
  if (nodes.milliCpusFree[n]! < service.milliCpus) return `no cpus left (needs ${formatCpus(service.milliCpus)})`
  if (nodes.memoryFree[n]! < service.memory) return `no memory left (needs ${formatBytes(service.memory)})`
  if (heldOfService >= service.maxPerNode) return `maxPerNode ${service.maxPerNode} reached`
  return undefined
}

/** Why no node can take another slot of `service`; `held(n)` counts its slots on node n. */
export function explainService (nodes: NodeTable, service: ServiceEntry, held: (n: number) => number): string {
  if (service.invalid !== undefined) return service.invalid
  if (nodes.size === 0) return '0 of 0 nodes eligible: no members'
  const groups = new Map<string, number>()
  let eligible = 0
  for (let n = 0; n < nodes.size; n++) {
    const failure = firstFailure(nodes, n, service, held(n))
    if (failure === undefined) eligible++
    else groups.set(failure, (groups.get(failure) ?? 0) + 1)
  }
  // Largest group first; equal groups keep filter-chain order (Map insertion order
  // follows node order, so rank by the chain explicitly).
  const parts = [...groups].sort((a, b) => b[1] - a[1] || chainRank(a[0], service) - chainRank(b[0], service))
  return `${eligible} of ${nodes.size} node${nodes.size === 1 ? '' : 's'} eligible: ${parts.map(([failure, count]) => phrase(failure, count)).join(', ')}`
}

/** Why node n cannot take its slot of a global service. */
export function explainNode (nodes: NodeTable, n: number, service: ServiceEntry): string {
  const failure = firstFailure(nodes, n, service, 0) ?? 'no room'
  const name = nodes.members[n]!.name
  if (failure.startsWith('maxPerNode ')) return `node ${name}: ${failure}`
  return `node ${name} ${phrase(failure, 1).replace(/^1 /, '')}`
}

function phrase (failure: string, count: number): string {
  if (failure.startsWith('no ')) return `${count} ${count === 1 ? 'has' : 'have'} ${failure}`
  if (failure.startsWith('maxPerNode ')) return `${failure} on ${count} node${count === 1 ? '' : 's'}`
  return `${count} ${failure}`
}

function chainRank (failure: string, service: ServiceEntry): number {
  if (failure === 'dead') return 0
  if (failure === 'draining') return 1
  const constraint = service.constraints.findIndex(c => failure === `failed ${c.text}`)
  if (constraint >= 0) return 2 + constraint
  const rest = ['no cpus', 'no memory', 'maxPerNode']
  return 2 + service.constraints.length + rest.findIndex(prefix => failure.startsWith(prefix))
}

/** 536870912 → "512 MiB". */
export function formatBytes (bytes: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= size) return `${Math.round(bytes / size * 10) / 10} ${unit}`
  }
  return `${bytes} B`
}

/** 500 → "0.5 cpus", 1000 → "1 cpu". */
export function formatCpus (milliCpus: number): string {
  const cpus = milliCpus / 1000
  return `${cpus} cpu${cpus === 1 ? '' : 's'}`
}
