// The placement of the whole cluster from a view: members from node records, drains,
// the partition rule, crash-loop avoidance, and running replicas kept where they are.

import { describe, expect, it } from 'vitest'
import { avoiding, ownersOf, placeCluster, placedSlots, placementService } from '../../../src/node/cluster/index.ts'
import { node, replica, service, T0, view } from './helpers.ts'

const nodesOf = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, node(id)]))

describe('placeCluster', () => {
  it('places every slot on a member, the same on every node', () => {
    const services = [service('web', { replicas: 6 })]
    const placements = ['a', 'b', 'c'].map((self) => placeCluster(view({ self, nodes: ['a', 'b', 'c'], services })))
    expect(placements[0]!.assignments).toHaveLength(6)
    expect(placements[1]).toEqual(placements[0])
    expect(placements[2]).toEqual(placements[0])
    const counts = [...ownersOf(placements[0]!).values()].reduce<Record<string, number>>((c, n) => ({ ...c, [n]: (c[n] ?? 0) + 1 }), {})
    expect(Object.values(counts)).toEqual([2, 2, 2])
  })

  it('keeps running replicas where they run while each node\'s count allows', () => {
    const services = [service('web', { replicas: 6 })]
    const holders = ['c', 'c', 'a', 'b', 'b', 'a']
    const replicas = holders.map((holder, slot): [string, ReturnType<typeof replica>] => [holder, replica('web', slot)])
    const placement = placeCluster(view({ nodes: ['a', 'b', 'c'], services, replicas }))
    expect(placement.assignments.map((a) => a.node)).toEqual(holders)
  })

  it('places nothing on a draining member', () => {
    const placement = placeCluster(view({ nodes: ['a', 'b'], services: [service('web', { replicas: 4 })], drains: { b: { draining: true, updatedAt: 0 } } }))
    expect(placement.assignments.map((a) => a.node)).toEqual(['a', 'a', 'a', 'a'])
  })

  it('moves a dead member\'s slots only on a side that sees a majority', () => {
    const services = [service('web', { replicas: 3 })]
    const replicas = ['a', 'b', 'c'].map((holder, slot): [string, ReturnType<typeof replica>] => [holder, replica('web', slot)])
    const majority = placeCluster(view({ self: 'a', nodes: ['a', 'b', 'c'], states: { c: 'dead' }, services, replicas }))
    expect(majority.assignments.map((a) => a.node)).not.toContain('c')
    const minority = placeCluster(view({ self: 'a', nodes: ['a', 'b', 'c'], states: { b: 'dead', c: 'dead' }, services, replicas }))
    expect(minority.assignments.map((a) => a.node)).toEqual(['a', 'b', 'c'])
  })

  it('passes over a member where the service keeps failing, until the deadline', () => {
    const nodes = { a: node('a', { avoid: { web: T0 + 1000 } }), b: node('b') }
    const services = [service('web', { replicas: 2, maxPerNode: 2 })]
    expect(placeCluster(view({ nodes, services, now: T0 })).assignments.map((a) => a.node)).toEqual(['b', 'b'])
    expect(placeCluster(view({ nodes, services, now: T0 + 1000 })).assignments.map((a) => a.node).sort()).toEqual(['a', 'b'])
  })

  it('lists the placed slots of one service in order', () => {
    const placement = placeCluster(view({ nodes: ['a', 'b'], services: [service('web', { replicas: 3 }), service('db')] }))
    expect(placedSlots(placement, 'web')).toEqual([0, 1, 2])
  })
})

describe('avoiding', () => {
  const members = ['a', 'b'].map((id) => ({ id, name: id, labels: {}, capacity: { cpus: 1, memory: 1 }, alive: true, draining: false }))

  it('adds node.id!=X for an avoided member while another can take the service', () => {
    const nodes = { ...nodesOf(['b']), a: node('a', { avoid: { web: 10 } }) }
    expect(avoiding(placementService(service('web')), nodes, members, 5).constraints).toEqual(['node.id!=a'])
  })

  it('keeps the service where it is when every usable member avoids it', () => {
    const nodes = { a: node('a', { avoid: { web: 10 } }), b: node('b', { avoid: { web: 10 } }) }
    expect(avoiding(placementService(service('web')), nodes, members, 5).constraints).toEqual([])
  })
})
