// Make-before-break: a replica whose slot moved elsewhere stays until the new owner serves.

import { replicaAt, stateOf } from './view.ts'
import type { ClusterView } from './view.ts'

/**
 * Whether this node must keep its replica of a slot that is now placed on `owner`,
 * because the owner is not dead and its replica of `generation` is not healthy yet.
 */
export function awaitingHandoff (view: ClusterView, owner: string | undefined, key: string, generation: number): boolean {
  if (owner === undefined || owner === view.self || stateOf(view, owner) === 'dead') return false
  const replica = replicaAt(view, owner, key)
  return !(replica?.state === 'healthy' && replica.generation === generation)
}
