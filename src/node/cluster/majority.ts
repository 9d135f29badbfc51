// The partition rule: which members count as alive for placement.

import type { ClusterView } from './view.ts'
import { stateOf } from './view.ts'
import { NO_QUORUM_BELOW } from './constants.ts'

/**
 * Which members count as alive for placement. A suspect member keeps its slots (one
 * missed beat must not move replicas). Dead members' slots are taken over only by a
 * side that sees a majority of the known members, so a split does not double every
 * replica; one- and two-node clusters always take over (there is no majority to wait for).
 */
export function liveness (view: ClusterView): (id: string) => boolean {
  const ids = Object.keys(view.nodes)
  const notDead = new Set(ids.filter((id) => stateOf(view, id) !== 'dead'))
  // The majority counts only members that answer now: on the minority side of a split,
  // members are declared dead one beat apart, and a suspect one must not lend its vote
  // to a takeover in that moment.
  const answering = ids.filter((id) => stateOf(view, id) === 'alive').length
  const quorum = ids.length < NO_QUORUM_BELOW ? 1 : Math.floor(ids.length / 2) + 1
  if (answering >= quorum) return (id) => notDead.has(id)
  return () => true
}
