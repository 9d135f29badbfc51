// The rebalancing throttle: how many of a service's slots may move at once.

import type { Placement } from '../../placement/index.ts'
import { DEFAULT_MOVE_PARALLELISM } from './constants.ts'
import { resolveUpdate } from './rollout.ts'
import { notDead } from './view.ts'
import type { ClusterView } from './view.ts'

/** A service's `update.parallelism`: how many of its slots may move at once. */
export function moveParallelism (view: ClusterView, service: string): number {
  const spec = view.services[service]?.spec
  return spec === undefined ? DEFAULT_MOVE_PARALLELISM : resolveUpdate(spec).parallelism
}

/**
 * Which slot keys may start now. A slot is *moving* when its owner has no healthy
 * replica while another member that is not dead still serves one (a join, a drain, a
 * member coming back). At most `parallelism` moves per service run at once: moves
 * already started count first, the rest wait their turn in key order — the same
 * answer on every node. Slots nobody serves (new, scaled up, or lost with a dead
 * member) are never held back.
 */
export function allowedToStart (view: ClusterView, placement: Placement, parallelism: (service: string) => number = (service) => moveParallelism(view, service)): (key: string) => boolean {
  const servedBy = new Map<string, string[]>()
  const filed = new Set<string>()
  for (const { nodeId, key, replica } of view.replicas) {
    filed.add(`${nodeId}\u0000${key}`)
    // Any generation serves: a rolling update on the owner is not a move.
    if (replica.state === 'healthy' && notDead(view, nodeId)) servedBy.set(key, [...(servedBy.get(key) ?? []), nodeId])
  }
  const moving = new Map<string, { started: string[], waiting: string[] }>()
  for (const { key, node, service } of placement.assignments) {
    const holders = servedBy.get(key) ?? []
    if (holders.includes(node) || holders.length === 0) continue
    const entry = moving.get(service) ?? { started: [], waiting: [] }
    ;(filed.has(`${node}\u0000${key}`) ? entry.started : entry.waiting).push(key)
    moving.set(service, entry)
  }
  const blocked = new Set<string>()
  for (const [service, { started, waiting }] of moving) {
    const room = Math.max(0, parallelism(service) - started.length)
    for (const key of waiting.sort().slice(room)) blocked.add(key)
  }
  return (key) => !blocked.has(key)
}
