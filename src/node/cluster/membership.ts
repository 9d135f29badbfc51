// Members that leave for good: a node that came back with a fresh data dir under a dead
// member's name and address supersedes it; a member dead for too long is reaped. The
// removal records these decisions produce are written by one node each, so two nodes
// never race to write the same one.

import type { RemovalRecord } from '../../crdt/index.ts'
import { coordinatorOf } from './rollout.ts'
import { stateOf } from './view.ts'
import type { ClusterView } from './view.ts'

/** A removal this node should write now, with the member it concerns. */
export interface Removal { id: string, record: RemovalRecord }

/** The dead members this node replaces: same name and address as itself, another id. */
export function superseded (view: ClusterView): Removal[] {
  const me = view.nodes[view.self]
  if (me === undefined) return []
  return Object.entries(view.nodes)
    .filter(([id, node]) => id !== view.self && node.name === me.name && node.host === me.host && stateOf(view, id) === 'dead')
    .map(([id, node]) => ({ id, record: { reason: 'superseded', name: node.name, at: view.now } }))
}

/**
 * The members dead for at least `reapAfterMs` (as this node has seen them: `deadSince`),
 * each reaped by the one member that coordinates it, so the record is written once.
 */
export function reapable (view: ClusterView, deadSince: ReadonlyMap<string, number>, reapAfterMs: number): Removal[] {
  const removals: Removal[] = []
  for (const [id, node] of Object.entries(view.nodes)) {
    const since = deadSince.get(id)
    if (id === view.self || since === undefined || stateOf(view, id) !== 'dead' || view.now - since < reapAfterMs) continue
    if (coordinatorOf(view, `reap\u0000${id}`) !== view.self) continue
    removals.push({ id, record: { reason: 'reaped', name: node.name, at: view.now } })
  }
  return removals
}
