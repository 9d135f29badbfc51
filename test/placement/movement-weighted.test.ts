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
import { mixedReplicas, movement, randomCluster } from './helpers.ts'
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

describe('movement on a join or a leave, nodes of 2, 4 and 8 cpus', () => {
  // Measured, join/leave, plain and bounded:
  //   one replica each   0.99/1.00 1.00/1.00
  //   ≤ N/4 replicas     1.06/1.00 1.01/1.01
  //   ≥ 4N replicas      1.12/1.08 1.14/1.07
  for (const [name, replicas, plainBound] of [['one replica', single, 1.1], ['at most a quarter as many replicas as nodes', small, 1.1], ['four times as many replicas as nodes or more', large, 1.2]] as const) {
    it(`stays within ${plainBound}× ideal with plain HRW and 1.3× with bounded load: ${name}`, () => {
      expectWithin(movement(1, TRIALS, Infinity, clusterOf(replicas, true)), plainBound, 'plain, unequal nodes')
      expectWithin(movement(2, TRIALS, 1.25, clusterOf(replicas, true)), 1.3, 'bounded, unequal nodes')
    })
  }

  it('stays within 1.2× ideal with plain HRW and 1.3× with bounded load for a mix of services as people run them', () => {
    // Measured 1.08/1.06 plain and 1.12/1.10 bounded.
    expectWithin(movement(5, TRIALS, Infinity, clusterOf(mixedReplicas, true)), 1.2, 'plain, unequal nodes')
    expectWithin(movement(6, TRIALS, 1.25, clusterOf(mixedReplicas, true)), 1.3, 'bounded, unequal nodes')
  })
})
