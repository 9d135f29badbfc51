// settle(): the counts of place(), with every running replica kept where its node's
// count allows — the per-node counts, a fixed point, duplicates resolved to the newest.

import { describe, expect, it } from 'vitest'
import { place, settle } from '../../src/placement/index.ts'
import type { Placement } from '../../src/placement/index.ts'
import { members, prng, randomCluster, service, shuffle } from './helpers.ts'

function countsOf (placement: Placement): Map<string, number> {
  const counts = new Map<string, number>()
  for (const { service, node } of placement.assignments) counts.set(`${service}@${node}`, (counts.get(`${service}@${node}`) ?? 0) + 1)
  return counts
}

const running = (placement: Placement, since = 0) => placement.assignments.map(({ key, node }) => ({ key, node, since }))

describe('settle', () => {
  it('keeps place()\'s counts per service and node, and is a fixed point', () => {
    for (let trial = 0; trial < 30; trial++) {
      const rng = prng(500 + trial)
      const { members: cluster, services } = randomCluster(rng, { nodes: 3 + rng.int(20), slots: 300, replicas: (r, n) => 1 + r.int(3 * n), everything: true })
      const before = place(services, cluster)
      const after = place(services, shuffle(rng, cluster).slice(1))
      const settled = settle(after, shuffle(rng, running(before)))
      expect(countsOf(settled)).toEqual(countsOf(after))
      expect(settled.unplaced).toEqual(after.unplaced)
      expect(settle(after, running(settled))).toEqual(settled)
    }
  })

  it('6 replicas on 3 nodes: 2 each; a 4th node takes its share and nothing else moves', () => {
    for (let trial = 0; trial < 200; trial++) {
      const rng = prng(900 + trial)
      const three = members(rng, 3)
      const before = place([service('web', 6)], three)
      expect([...countsOf(before).values()]).toEqual([2, 2, 2])
      const four = [...three, ...members(rng, 1)]
      const after = settle(place([service('web', 6)], four), running(before))
      const moved = after.assignments.filter((a, i) => a.node !== before.assignments[i]!.node)
      expect(moved.length).toBeGreaterThanOrEqual(1)
      expect(moved.length).toBeLessThanOrEqual(2)
      expect(moved.every(m => m.node === four[3]!.id)).toBe(true)
    }
  })

  it('keeps the newest of two replicas of a slot, and runs nothing twice', () => {
    const rng = prng(7)
    const cluster = members(rng, 3)
    const placed = place([service('web', 3)], cluster)
    const [a, b] = [cluster[0]!.id, cluster[1]!.id]
    // web#0 runs on a (since 1) and, newer, on b: a handoff to b, or b's takeover during a partition.
    const settled = settle(placed, [{ key: 'web#0', node: a, since: 1 }, { key: 'web#0', node: b, since: 2 }])
    expect(settled.assignments.find(s => s.key === 'web#0')!.node).toBe(b)
    expect(new Set(settled.assignments.map(s => s.node)).size).toBe(3)
  })

  it('ignores replicas on nodes that may not hold the service (draining, dead, constrained out)', () => {
    const rng = prng(8)
    const cluster = members(rng, 3)
    const placed = place([service('web', 2)], cluster)
    const outsider = cluster.find(m => !placed.assignments.some(a => a.node === m.id))!.id
    const settled = settle(placed, [{ key: 'web#0', node: outsider, since: 5 }])
    expect(settled).toEqual(placed)
  })
})
