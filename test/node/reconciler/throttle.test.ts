// The rebalancing throttle: at most `parallelism` moves of a service at once, decided
// alike on every node from the document.

import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import type { Logger, ReplicaRecord } from '../../../src/crdt/index.ts'
import type { Placement } from '../../../src/placement/index.ts'
import { allowedToStart } from '../../../src/node/reconciler/placement.ts'
import type { MemberState } from '../../../src/node/reconciler/placement.ts'

const silent: Logger = { debug () {}, info () {}, warn () {}, error () {}, child () { return silent } }
const placement: Placement = {
  assignments: [0, 1, 2].map((slot) => ({ service: 'web', slot, key: `web#${slot}`, node: ['a', 'b', 'c'][slot]! })),
  unplaced: []
}

function cluster (states: Record<string, MemberState> = {}): { document: ClusterDocument, allowed: () => (key: string) => boolean, put: (node: string, slot: number, state: ReplicaRecord['state']) => void } {
  const document = new ClusterDocument({ log: silent })
  document.putService('web', { spec: { name: 'web', image: 'x', env: {}, replicas: 3, ports: [], labels: {} }, generation: 1, createdAt: 0, updatedAt: 0 })
  const put = (node: string, slot: number, state: ReplicaRecord['state']): void => {
    document.putReplica(node, `web#${slot}`, { service: 'web', slot, generation: 1, node, container: `${node}${slot}`, endpoint: '', ports: [], state, updatedAt: 0 })
  }
  const view = { document, self: 'a', memberState: (id: string) => states[id] ?? 'alive' }
  return { document, put, allowed: () => allowedToStart(placement, view) }
}

describe('allowedToStart', () => {
  it('lets one move of a service run at a time, in key order', () => {
    const { put, allowed } = cluster()
    for (const slot of [0, 1, 2]) put('a', slot, 'healthy')
    expect([0, 1, 2].map((slot) => allowed()(`web#${slot}`))).toEqual([true, true, false])
  })

  it('counts a started move, and frees the next one once it is healthy', () => {
    const { put, allowed } = cluster()
    for (const slot of [0, 1, 2]) put('a', slot, 'healthy')
    put('b', 1, 'starting')
    expect(allowed()('web#2')).toBe(false)
    put('b', 1, 'healthy')
    expect(allowed()('web#2')).toBe(true)
  })

  it('never holds back a slot whose replica died with its member', () => {
    const { put, allowed } = cluster({ a: 'dead' })
    for (const slot of [0, 1, 2]) put('a', slot, 'healthy')
    expect([1, 2].map((slot) => allowed()(`web#${slot}`))).toEqual([true, true])
  })
})
