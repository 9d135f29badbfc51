// The rebalancing throttle: at most `parallelism` moves of a service at once, decided
// alike on every node from the same view.

import { describe, expect, it } from 'vitest'
import type { ReplicaRecord } from '../../../src/crdt/index.ts'
import type { MemberState } from '../../../src/gossip/index.ts'
import type { Placement } from '../../../src/placement/index.ts'
import { allowedToStart, moveParallelism } from '../../../src/node/cluster/index.ts'
import { replica, service, view } from './helpers.ts'

const placement: Placement = {
  assignments: [0, 1, 2].map((slot) => ({ service: 'web', slot, key: `web#${slot}`, node: ['a', 'b', 'c'][slot]! })),
  unplaced: []
}

function allowed (replicas: Array<[string, number, ReplicaRecord['state']]>, states: Record<string, MemberState> = {}, parallelism?: number): (key: string) => boolean {
  const web = service('web', { replicas: 3, ...(parallelism === undefined ? {} : { update: { parallelism } }) })
  return allowedToStart(view({ self: 'b', nodes: ['a', 'b', 'c'], states, services: [web], replicas: replicas.map(([node, slot, state]) => [node, replica('web', slot, { node, state })]) }), placement)
}

describe('allowedToStart', () => {
  it('lets one move of a service run at a time, in key order', () => {
    const ok = allowed([['a', 0, 'healthy'], ['a', 1, 'healthy'], ['a', 2, 'healthy']])
    expect([0, 1, 2].map((slot) => ok(`web#${slot}`))).toEqual([true, true, false])
  })

  it('counts a started move, and frees the next one once it is healthy', () => {
    const all: Array<[string, number, ReplicaRecord['state']]> = [['a', 0, 'healthy'], ['a', 1, 'healthy'], ['a', 2, 'healthy']]
    expect(allowed([...all, ['b', 1, 'starting']])('web#2')).toBe(false)
    expect(allowed([...all, ['b', 1, 'healthy']])('web#2')).toBe(true)
  })

  it('never holds back a slot whose replica died with its member', () => {
    const ok = allowed([['a', 0, 'healthy'], ['a', 1, 'healthy'], ['a', 2, 'healthy']], { a: 'dead' })
    expect([1, 2].map((slot) => ok(`web#${slot}`))).toEqual([true, true])
  })

  it('lets update.parallelism moves run at once', () => {
    const ok = allowed([['a', 0, 'healthy'], ['a', 1, 'healthy'], ['a', 2, 'healthy']], {}, 2)
    expect([1, 2].map((slot) => ok(`web#${slot}`))).toEqual([true, true])
  })
})

describe('moveParallelism', () => {
  it('is the spec\'s update.parallelism, else one', () => {
    const v = view({ services: [service('web', { update: { parallelism: 3 } }), service('db')] })
    expect([moveParallelism(v, 'web'), moveParallelism(v, 'db'), moveParallelism(v, 'gone')]).toEqual([3, 1, 1])
  })
})
