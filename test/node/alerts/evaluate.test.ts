// Each condition over a view built from plain records, and the failure history restarts are counted from.

import { describe, expect, it } from 'vitest'
import type { NodeRecord, ReplicaEntry, ServiceRecord } from '../../../src/crdt/index.ts'
import { evaluateRule, noteFailures } from '../../../src/node/alerts/index.ts'
import { clusterView } from '../../../src/node/cluster/index.ts'
import { parseRule } from '../../../src/node/spec/index.ts'

const node = (name: string): NodeRecord => ({ name, host: '127.0.0.1', apiPort: 1, p2pPort: 2, labels: {}, draining: false, startedAt: 0 })
const service = (name: string, replicas: number, extra: object = {}): ServiceRecord => ({ spec: { name, image: 'i', env: {}, replicas, ports: [], labels: {}, ...extra }, generation: 1, createdAt: 0, updatedAt: 0 })
const replica = (nodeId: string, svc: string, slot: number, state: 'healthy' | 'running' | 'failed', failureAt?: number): ReplicaEntry => ({
  nodeId,
  key: `${svc}#${slot}`,
  replica: { service: svc, slot, generation: 1, node: nodeId, container: `c${slot}`, endpoint: '', ports: [], state, updatedAt: 0, ...(failureAt === undefined ? {} : { lastFailure: { container: 'x', state: 'failed', error: 'exit 1', at: failureAt } }) }
})

function view (replicas: ReplicaEntry[], dead: string[] = [], now = 100_000) {
  return clusterView({
    services: { web: service('web', 2, { health: { type: 'tcp' } }), db: service('db', 1) },
    nodes: { a: node('a'), b: node('b'), c: node('c') },
    replicas,
    rollouts: {},
    drains: {},
    removals: {},
    autoscale: {}
  }, 'a', (id) => dead.includes(id) ? 'dead' : 'alive', now)
}

describe('evaluateRule', () => {
  it('node.dead: one instance per dead member', () => {
    expect(evaluateRule(parseRule('node.dead'), view([]))).toEqual({ active: false, instances: [] })
    expect(evaluateRule(parseRule('node.dead'), view([], ['c', 'b']))).toEqual({ active: true, instances: [{ labels: { node: 'b' } }, { labels: { node: 'c' } }] })
  })

  it('service.healthy < service.desired: healthy slots on members not dead; running counts without a check', () => {
    const all = [replica('a', 'web', 0, 'healthy'), replica('b', 'web', 1, 'healthy'), replica('c', 'db', 0, 'running')]
    const rule = parseRule('service.healthy < service.desired')
    expect(evaluateRule(rule, view(all)).active).toBe(false)
    expect(evaluateRule(rule, view(all, ['b'])).instances).toEqual([{ labels: { service: 'web' }, value: 1 }])
    const unhealthy = [replica('a', 'web', 0, 'running'), replica('b', 'web', 1, 'healthy'), replica('c', 'db', 0, 'running')]
    expect(evaluateRule(rule, view(unhealthy)).instances).toEqual([{ labels: { service: 'web' }, value: 1 }])
    expect(evaluateRule(parseRule('service.healthy < service.desired service=db'), view(all, ['b'])).active).toBe(false)
  })

  it('replica.restarts: failures within the window, from the history', () => {
    const rule = parseRule('replica.restarts > 2 in 1m')
    expect(evaluateRule(rule, view([])).unknown).toBeDefined()
    let log = {}
    for (const at of [10_000, 50_000, 60_000, 70_000, 90_000]) log = noteFailures(log, view([replica('a', 'web', 0, 'failed', at)], [], at + 1), 3_600_000)
    expect(log).toEqual({ 'web#0': [10_000, 50_000, 60_000, 70_000, 90_000] })
    // At 100 s the last minute holds 50, 60, 70 and 90 s: 4 > 2.
    expect(evaluateRule(rule, view([]), { failures: log }).instances).toEqual([{ labels: { service: 'web', slot: '0' }, value: 4 }])
    expect(evaluateRule(parseRule('replica.restarts > 4 in 1m'), view([]), { failures: log }).active).toBe(false)
  })

  it('replica.cpu: a share of the replica\'s CPU limit, else of one core', () => {
    const v = clusterView({ ...view([]), services: { web: service('web', 1, { resources: { limits: { cpus: 0.5 } } }), db: service('db', 1) } }, 'a', () => 'alive', 0)
    const cpu = [{ service: 'web', slot: 0, node: 'a', cpuPercent: 48 }, { service: 'db', slot: 0, node: 'b', cpuPercent: 48 }]
    expect(evaluateRule(parseRule('replica.cpu > 90%'), v, { cpu }).instances).toEqual([{ labels: { service: 'web', slot: '0', node: 'a' }, value: 96 }])
    expect(evaluateRule(parseRule('replica.cpu > 90%'), v).unknown).toBe('no CPU samples')
  })

  it('service.errors: failed connections over all, per service', () => {
    const traffic = [{ service: 'web', connections: 200, errors: 3 }, { service: 'db', connections: 0, errors: 0 }]
    expect(evaluateRule(parseRule('service.errors > 1%'), view([]), { traffic }).instances).toEqual([{ labels: { service: 'web' }, value: 1.5 }])
    expect(evaluateRule(parseRule('service.errors > 2%'), view([]), { traffic }).active).toBe(false)
  })
})
