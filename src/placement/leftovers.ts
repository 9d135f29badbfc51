// The slots deferred acceptance could not place within spread and load limits. Placing
// a replica matters more than balance, so these relax both: each takes, in canonical
// order, the node with room (resources, maxPerNode) that is under its load cap if any,
// then holds the fewest slots of the service, then ranks best. A slot that still finds
// nothing is reported with the filter chain's explanation.

import { fits, reserve } from './cluster.ts'
import type { PlacementRun } from './bounded.ts'
import type { ServiceEntry } from './cluster.ts'
import { explainService } from './explain.ts'
import { attach, scoreOn } from './slots.ts'

/** Places what it can of `failed` (ascending slot ids); returns why each of the rest has no node. */
export function placeLeftovers (run: PlacementRun, failed: readonly number[]): Map<number, string> {
  const { nodes, slots, held } = run
  const unplaced = new Map<number, string>()
  let placed = 0
  let explained: { service: ServiceEntry, placed: number, reason: string } | undefined
  for (const x of failed) {
    const service = run.services[slots.service[x]!]!
    const { eligible, nodeOffset } = service
    let best = -1
    let bestOver = 0
    let bestScore = 0
    for (let i = 0; i < eligible.length; i++) {
      const n = eligible[i]!
      if (!fits(nodes, n, service) || held[nodeOffset + i]! >= service.maxPerNode) continue
      const over = nodes.load[n]! >= nodes.loadCap[n]! ? 1 : 0
      const score = scoreOn(nodes, slots, x, n)
      const fewer = best < 0 ? 0 : held[nodeOffset + i]! - held[nodeOffset + best]!
      if (best >= 0 && (over > bestOver || (over === bestOver && (fewer > 0 || (fewer === 0 && score <= bestScore))))) continue
      best = i
      bestOver = over
      bestScore = score
    }
    if (best < 0) {
      // Nothing was placed since this service's last failure: the same explanation holds.
      if (explained?.service !== service || explained.placed !== placed) {
        explained = { service, placed, reason: explainService(nodes, service, heldOn(run, service)) }
      }
      unplaced.set(x, explained.reason)
      continue
    }
    const n = eligible[best]!
    attach(slots, x, n, bestScore)
    reserve(nodes, n, service, 1)
    nodes.load[n]!++
    held[nodeOffset + best]!++
    placed++
  }
  return unplaced
}

/** The service's slots per node index (not eligible position), for explanations. */
function heldOn (run: PlacementRun, service: ServiceEntry): (n: number) => number {
  const byNode = new Int32Array(run.nodes.size)
  service.eligible.forEach((n, i) => { byNode[n] = run.held[service.nodeOffset + i]! })
  return n => byNode[n]!
}
