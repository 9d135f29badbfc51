// The view every decision reads: states for every member, this node always alive.

import { describe, expect, it } from 'vitest'
import { clusterView, notDead, replicaAt, stateOf } from '../../../src/node/cluster/index.ts'
import { node, replica } from './helpers.ts'

describe('clusterView', () => {
  const snapshot = {
    services: {},
    nodes: { a: node('a'), b: node('b') },
    replicas: [{ nodeId: 'c', key: 'web#0', replica: replica('web', 0) }],
    rollouts: {},
    drains: {},
    removals: {},
    autoscale: {}
  }

  it('asks the failure detector about every member and every node filing replicas, once', () => {
    const asked: string[] = []
    const view = clusterView(snapshot, 'a', (id) => { asked.push(id); return id === 'c' ? 'dead' : 'suspect' }, 42)
    expect(asked.sort()).toEqual(['a', 'b', 'c'])
    expect(view.states).toEqual({ a: 'alive', b: 'suspect', c: 'dead' })
    expect(view.now).toBe(42)
  })

  it('counts this node alive and a member it never heard of dead', () => {
    const view = clusterView(snapshot, 'a', () => 'dead', 0)
    expect([stateOf(view, 'a'), stateOf(view, 'zz')]).toEqual(['alive', 'dead'])
    expect([notDead(view, 'a'), notDead(view, 'b')]).toEqual([true, false])
  })

  it('finds a replica record by node and slot key', () => {
    const view = clusterView(snapshot, 'a', () => 'alive', 0)
    expect(replicaAt(view, 'c', 'web#0')?.slot).toBe(0)
    expect(replicaAt(view, 'a', 'web#0')).toBeUndefined()
  })
})
