import { describe, expect, it } from 'vitest'
import { place, slotsOfNode } from '../../src/placement/index.ts'
import { GiB, MiB, loads, member, service } from './helpers.ts'

const three = [member('a', { name: 'x', labels: { zone: 'b' } }), member('b', { name: 'y', labels: { zone: 'b' } }), member('c', { name: 'z', labels: { zone: 'b' } })]

describe('place', () => {
  it('numbers the slots of a replicated service 0..R-1 and spreads them over distinct nodes', () => {
    const { assignments, unplaced } = place([service('web', 3)], three)
    expect(unplaced).toEqual([])
    expect(assignments.map(a => [a.slot, a.key])).toEqual([[0, 'web#0'], [1, 'web#1'], [2, 'web#2']])
    expect(new Set(assignments.map(a => a.node)).size).toBe(3)
  })

  it('puts one replica on every node before any node gets a second, and at most ⌈2 × its share⌉ on one', () => {
    for (let replicas = 4; replicas <= 12; replicas++) {
      const counts = [...loads(place([service('web', replicas)], three)).values()]
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(1)
      expect(Math.max(...counts)).toBeLessThanOrEqual(Math.ceil(2 * replicas / 3))
    }
  })

  it('sorts assignments and unplaced slots by service, then slot', () => {
    const { assignments, unplaced } = place([service('b', 2), service('a', 2), service('z', 1, { constraints: ['node.name==nope'] })], three)
    expect(assignments.map(a => a.key)).toEqual(['a#0', 'a#1', 'b#0', 'b#1'])
    expect(unplaced.map(u => u.key)).toEqual(['z#0'])
  })

  it('places nothing for zero replicas, and reads odd replica counts as whole non-negative numbers', () => {
    expect(place([service('none', 0), service('neg', -2), service('nan', Number.NaN)], three)).toEqual({ assignments: [], unplaced: [] })
    expect(place([service('frac', 2.7)], three).assignments).toHaveLength(2)
  })

  it('moves everything off a draining node and a dead one', () => {
    const cluster = [member('a'), member('b', { draining: true }), member('c', { alive: false })]
    const { assignments } = place([service('web', 4), service('db', 1)], cluster)
    expect(new Set(assignments.map(a => a.node))).toEqual(new Set(['a']))
  })

  it('gives a node with more cpus a proportionally larger share', () => {
    const cluster = [member('big', { capacity: { cpus: 8, memory: 0 } }), member('s1', { capacity: { cpus: 1, memory: 0 } }), member('s2', { capacity: { cpus: 1, memory: 0 } })]
    const services = Array.from({ length: 500 }, (_, i) => service(`svc${i}`, 1))
    const load = loads(place(services, cluster, { loadFactor: Infinity }))
    expect(load.get('big')! / 500).toBeGreaterThan(0.75)
    expect(load.get('big')! / 500).toBeLessThan(0.85)
  })

  it('does not enforce capacities a member does not know', () => {
    const cluster = [member('a', { capacity: { cpus: 0, memory: Number.NaN } })]
    expect(place([service('web', 1, { resources: { cpus: 64, memory: 64 * GiB } })], cluster).unplaced).toEqual([])
  })

  it('reads a missing, zero or negative loadFactor as the default, and Infinity as plain HRW', () => {
    const services = Array.from({ length: 40 }, (_, i) => service(`svc${i}`, 1))
    const bounded = place(services, three)
    expect(place(services, three, { loadFactor: 0 })).toEqual(bounded)
    expect(place(services, three, { loadFactor: Number.NaN })).toEqual(bounded)
    expect(place(services, three, { loadFactor: 1.25 })).toEqual(bounded)
    expect(Math.max(...loads(bounded).values())).toBeLessThanOrEqual(Math.ceil(1.25 * 40 / 3))
  })
})

describe('unplaced slots explain themselves', () => {
  const reason = (...args: Parameters<typeof place>): string[] => place(...args).unplaced.map(u => `${u.key}: ${u.reason}`)

  it('names the constraint every node failed', () => {
    expect(reason([service('db', 1, { constraints: ['node.labels.zone == a'] })], three))
      .toEqual(['db#0: 0 of 3 nodes eligible: 3 failed node.labels.zone==a'])
  })

  it('counts each node once, under the first filter it fails, largest group first', () => {
    const cluster = [member('a', { name: 'p' }), member('b', { name: 'q' }), member('c', { name: 'x', draining: true })]
    expect(reason([service('db', 1, { constraints: ['node.name==x'] })], cluster))
      .toEqual(['db#0: 0 of 3 nodes eligible: 2 failed node.name==x, 1 draining'])
    const mixed = [member('a', { alive: false }), member('b', { labels: { zone: 'b' } }), member('c', { labels: { zone: 'a' } })]
    expect(reason([service('db', 1, { constraints: ['node.labels.zone==a', 'node.name!=c'] })], mixed))
      .toEqual(['db#0: 0 of 3 nodes eligible: 1 dead, 1 failed node.labels.zone==a, 1 failed node.name!=c'])
  })

  it('says which resource ran out and how much one replica needs', () => {
    const cluster = [member('a', { capacity: { cpus: 4, memory: 512 * MiB } }), member('b', { capacity: { cpus: 1, memory: 0 } }), member('c', { draining: true })]
    expect(reason([service('cache', 3, { resources: { memory: 512 * MiB, cpus: 1 } })], cluster)).toEqual([
      'cache#2: 0 of 3 nodes eligible: 1 draining, 1 has no cpus left (needs 1 cpu), 1 has no memory left (needs 512 MiB)'
    ])
    expect(reason([service('big', 1, { resources: { memory: 1.5 * GiB } })], [member('a', { capacity: { cpus: 2, memory: GiB } })]))
      .toEqual(['big#0: 0 of 1 node eligible: 1 has no memory left (needs 1.5 GiB)'])
  })

  it('reports maxPerNode once every eligible node has reached it', () => {
    expect(reason([service('web', 4, { maxPerNode: 1 })], three)).toEqual(['web#3: 0 of 3 nodes eligible: maxPerNode 1 reached on 3 nodes'])
    expect(place([service('web', 7, { maxPerNode: 2 })], three).unplaced).toHaveLength(1)
  })

  it('passes on the parse error of an invalid constraint', () => {
    expect(reason([service('db', 1, { constraints: ['node.zone=a'] })], three))
      .toEqual(['db#0: constraint "node.zone=a" has no operator: expected node.id, node.name or node.labels.<key>, then == or !=, then a value'])
  })

  it('says when there are no members at all', () => {
    expect(reason([service('db', 1)], [])).toEqual(['db#0: 0 of 0 nodes eligible: no members'])
  })
})

describe('when not every slot fits', () => {
  it('leaves the highest slot numbers unplaced', () => {
    for (let replicas = 4; replicas <= 9; replicas++) {
      const { assignments, unplaced } = place([service('web', replicas, { maxPerNode: 1 })], three)
      expect(assignments.map(a => a.slot)).toEqual([0, 1, 2])
      expect(unplaced.map(u => u.slot)).toEqual(Array.from({ length: replicas - 3 }, (_, i) => 3 + i))
    }
    const cluster = [member('a', { capacity: { cpus: 4, memory: GiB } }), member('b', { capacity: { cpus: 4, memory: 600 * MiB } })]
    expect(place([service('web', 5, { resources: { memory: 512 * MiB } })], cluster).unplaced.map(u => u.key)).toEqual(['web#3', 'web#4'])
  })
})

describe('slotsOfNode', () => {
  it('lists the slots placed on one node', () => {
    const placement = place([service('web', 3), service('db', 1, { constraints: ['node.id==b'] })], three)
    expect(slotsOfNode(placement, 'b').map(s => s.service)).toContain('db')
    expect(slotsOfNode(placement, 'b').every(s => s.node === 'b')).toBe(true)
    expect(['a', 'b', 'c'].flatMap(id => slotsOfNode(placement, id)).length).toBe(4)
    expect(slotsOfNode(placement, 'unknown')).toEqual([])
  })
})
