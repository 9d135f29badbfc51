// Members that leave for good: superseded by a node with their name and address, or reaped.

import { describe, expect, it } from 'vitest'
import { reapable, superseded } from '../../../src/node/cluster/index.ts'
import { node, T0, view } from './helpers.ts'

describe('superseded', () => {
  it('removes a dead member with this node\'s name and address, never a live one or another name', () => {
    const nodes = { new: node('node-3', { host: '127.0.0.13' }), old: node('node-3', { host: '127.0.0.13' }), other: node('node-3', { host: '127.0.0.99' }), b: node('node-2') }
    expect(superseded(view({ self: 'new', nodes, states: { old: 'dead', other: 'dead', b: 'dead' } }))).toEqual([
      { id: 'old', record: { reason: 'superseded', name: 'node-3', at: T0 } }
    ])
    expect(superseded(view({ self: 'new', nodes, states: { old: 'suspect' } }))).toEqual([])
  })
})

describe('reapable', () => {
  const nodes = ['a', 'b', 'c', 'd']

  it('reaps a member dead for the whole window, on exactly one node', () => {
    const deadSince = new Map([['d', T0 - 1000]])
    const writers = nodes.filter((self) => reapable(view({ self, nodes, states: { d: 'dead' }, now: T0 }), deadSince, 1000).length > 0)
    expect(writers).toHaveLength(1)
    expect(writers[0]).not.toBe('d')
    expect(reapable(view({ self: writers[0], nodes, states: { d: 'dead' }, now: T0 - 1 }), deadSince, 1000)).toEqual([])
  })

  it('never reaps a member that is not dead now', () => {
    const deadSince = new Map([['d', T0 - 10_000]])
    expect(nodes.flatMap((self) => reapable(view({ self, nodes, states: { d: 'suspect' }, now: T0 }), deadSince, 1000))).toEqual([])
  })
})
