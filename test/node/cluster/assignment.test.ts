// What a node runs: its slots with their generations, the throttle, and handoffs.

import { describe, expect, it } from 'vitest'
import { assignmentOf, awaitingHandoff, generationsOf, slotsOf, specHash } from '../../../src/node/cluster/index.ts'
import type { Placement } from '../../../src/placement/index.ts'
import { replica, service, T0, view } from './helpers.ts'

const on = (nodes: string[]): Placement => ({
  assignments: nodes.map((node, slot) => ({ service: 'web', slot, key: `web#${slot}`, node })),
  unplaced: []
})

describe('slotsOf', () => {
  it('gives the slots placed on a node with the generation each must run and the update order', () => {
    const web = service('web', { replicas: 3, update: { order: 'stop-first' } }, { generation: 2, previous: { generation: 1, spec: service('web').spec } })
    const v = view({ services: [web], rollouts: { web: { generation: 2, from: 1, phase: 'rolling', updated: [1], failed: [], failures: 0, startedAt: T0, updatedAt: T0 } } })
    expect(slotsOf(v, on(['a', 'a', 'b']), 'a')).toEqual([
      { key: 'web#0', service: 'web', slot: 0, generation: 1, stopFirst: true, specHash: specHash(web.previous!.spec) },
      { key: 'web#1', service: 'web', slot: 1, generation: 2, stopFirst: true, specHash: specHash(web.spec) }
    ])
    expect([0, 1, 2].map((slot) => generationsOf(v)('web', slot))).toEqual([1, 2, 1])
  })
})

describe('assignmentOf', () => {
  it('desires the slots placed here, holding back moves beyond the throttle', () => {
    // b took two slots a still serves: one move at a time, in key order.
    const v = view({ self: 'b', nodes: ['a', 'b'], services: [service('web', { replicas: 2 })], replicas: [['a', replica('web', 0)], ['a', replica('web', 1)]] })
    expect(assignmentOf(v, on(['b', 'b'])).desired.map((slot) => slot.key)).toEqual(['web#0'])
  })

  it('holds a replica placed elsewhere until the new owner serves it', () => {
    const services = [service('web')]
    const waiting = view({ self: 'a', nodes: ['a', 'b'], services, replicas: [['a', replica('web', 0)], ['b', replica('web', 0, { state: 'starting' })]] })
    expect(assignmentOf(waiting, on(['b'])).hold('web#0')).toBe(true)
    const served = view({ self: 'a', nodes: ['a', 'b'], services, replicas: [['a', replica('web', 0)], ['b', replica('web', 0)]] })
    expect(assignmentOf(served, on(['b'])).hold('web#0')).toBe(false)
    expect(assignmentOf(served, on(['b'])).hold('not a key')).toBe(false)
  })
})

describe('awaitingHandoff', () => {
  const services = [service('web')]

  it('waits for the owner\'s replica of the right generation', () => {
    const v = view({ self: 'a', nodes: ['a', 'b'], services, replicas: [['b', replica('web', 0, { generation: 1 })]] })
    expect(awaitingHandoff(v, 'b', 'web#0', 2)).toBe(true)
    expect(awaitingHandoff(v, 'b', 'web#0', 1)).toBe(false)
  })

  it('never waits for a dead owner, for itself, or for nobody', () => {
    const v = view({ self: 'a', nodes: ['a', 'b'], states: { b: 'dead' }, services })
    expect([awaitingHandoff(v, 'b', 'web#0', 1), awaitingHandoff(v, 'a', 'web#0', 1), awaitingHandoff(v, undefined, 'web#0', 1)]).toEqual([false, false, false])
  })
})

describe('specHash', () => {
  it('is the same for the same spec whatever the key order, and differs for another', () => {
    const a = service('web', { env: { A: '1', B: '2' } }).spec
    const b = { ...a, env: { B: '2', A: '1' } }
    expect(specHash(a)).toMatch(/^[0-9a-f]{16}$/)
    expect(specHash(b)).toBe(specHash(a))
    expect(specHash({ ...a, env: { A: '1' } })).not.toBe(specHash(a))
  })
})

describe('specHash and what changes no container', () => {
  it('ignores the replica count, the update pace and the network policy', () => {
    const a = service('web', { replicas: 2 }).spec
    expect(specHash({ ...a, replicas: 5, update: { parallelism: 3 }, allowFrom: ['app'], policy: 'observe' })).toBe(specHash(a))
    expect(specHash({ ...a, image: 'other:1' })).not.toBe(specHash(a))
  })
})
