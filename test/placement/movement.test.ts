// How much a join or a leave moves, against HRW's ideal: the newcomer's weighted share
// of the slots on a join, the leaving node's slots on a leave (moved counts those, which
// must move, plus any other slot that changed node). Moves are measured as the daemon
// makes them: place() gives the counts, settle() keeps every replica where it runs
// while its node's count allows. Totals over many random clusters of thousands of
// slots, so the law of large numbers holds.
//
// Equal nodes move ≈ 1.0× ideal in every case. On unequal nodes a large service's
// integer counts cannot follow fractional weighted shares: a newcomer takes up to one
// replica of each service above its share, ≈ 1.13× ideal for services of 4N–12N replicas.

import { describe, expect, it } from 'vitest'
import { members, mixedReplicas, movement, randomCluster, service } from './helpers.ts'
import type { MovementRatios, Rng } from './helpers.ts'

const TRIALS = 40

function clusterOf (replicas: (rng: Rng, nodes: number) => number, weighted = false) {
  return (rng: Rng) => randomCluster(rng, { nodes: 8 + rng.int(33), slots: 2000, replicas, weighted, cpus: [2, 4, 8] })
}

const single = (): number => 1
const small = (rng: Rng, nodes: number): number => 1 + rng.int(Math.max(1, Math.floor(nodes / 4)))
const large = (rng: Rng, nodes: number): number => 4 * nodes + rng.int(8 * nodes)

function expectWithin (ratios: MovementRatios, bound: number, what: string): void {
  expect(ratios.join, `join, ${what}`).toBeLessThanOrEqual(bound)
  expect(ratios.leave, `leave, ${what}`).toBeLessThanOrEqual(bound)
}

describe('movement on a join or a leave, equal nodes', () => {
  // Measured, join/leave, plain and bounded:
  //   one replica each   0.98/1.00 1.00/1.00
  //   ≤ N/4 replicas     0.98/1.00 1.02/1.00
  //   ≥ 4N replicas      1.00/1.00 1.00/1.00
  for (const [name, replicas] of [['one replica', single], ['at most a quarter as many replicas as nodes', small], ['four times as many replicas as nodes or more', large]] as const) {
    it(`stays within 1.1× ideal with plain HRW and 1.3× with bounded load: ${name}`, () => {
      expectWithin(movement(1, TRIALS, Infinity, clusterOf(replicas)), 1.1, 'plain')
      expectWithin(movement(2, TRIALS, 1.25, clusterOf(replicas)), 1.3, 'bounded')
    })
  }

  it('stays within 1.1× ideal with plain HRW and 1.3× with bounded load for a mix of services as people run them', () => {
    // Measured ≈ 1.00/1.00 plain, 1.01/1.00 bounded.
    expectWithin(movement(3, TRIALS, Infinity, clusterOf(mixedReplicas)), 1.1, 'plain')
    expectWithin(movement(4, TRIALS, 1.25, clusterOf(mixedReplicas)), 1.3, 'bounded')
  })

  it('moves only the ideal where spread binds hardest: as many replicas as nodes', () => {
    // Measured 1.00/1.00 on 10 nodes: one replica per node, a newcomer takes one of each.
    const { join, leave } = movement(7, TRIALS, 1.25, rng => {
      const cluster = members(rng, 10)
      return { members: cluster, services: Array.from({ length: 100 }, (_, i) => service(`svc${i}`, 10)) }
    })
    expect(join).toBeLessThanOrEqual(1.1)
    expect(leave).toBeLessThanOrEqual(1.1)
  })
})
