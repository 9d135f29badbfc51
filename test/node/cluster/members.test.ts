// Members as people see them, and the crash-loop avoid entries a node writes.

import { describe, expect, it } from 'vitest'
import { AVOID_MS, avoidedServices, avoidService, memberViews } from '../../../src/node/cluster/index.ts'
import { node, T0, view } from './helpers.ts'

describe('memberViews', () => {
  it('lists members by name with their state, drain and the services they still avoid', () => {
    const nodes = { x: node('zeta', { avoid: { web: T0 + 1, db: T0 - 1 } }), y: node('alpha') }
    const members = memberViews(view({ self: 'y', nodes, states: { x: 'suspect' }, drains: { x: { draining: true, updatedAt: 0 } } }))
    expect(members.map((m) => [m.name, m.state, m.draining, m.avoiding])).toEqual([['alpha', 'alive', false, undefined], ['zeta', 'suspect', true, ['web']]])
  })
})

describe('avoidService', () => {
  it('avoids a service for AVOID_MS, dropping expired entries', () => {
    const next = avoidService(node('a', { avoid: { old: T0 - 1 } }), 'web', T0)
    expect(next?.avoid).toEqual({ web: T0 + AVOID_MS })
    expect(avoidedServices(next!, T0)).toEqual(['web'])
  })

  it('does not rewrite a record that avoids the service for long enough already', () => {
    expect(avoidService(node('a', { avoid: { web: T0 + AVOID_MS } }), 'web', T0 + 10)).toBeUndefined()
    expect(avoidService(node('a', { avoid: { web: T0 + AVOID_MS } }), 'web', T0 + AVOID_MS / 2 + 1)).toBeDefined()
  })
})
