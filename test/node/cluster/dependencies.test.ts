// The first-start gate of dependsOn, decided from a view: no document, no clock.

import { describe, expect, it } from 'vitest'
import type { ServiceDependency } from '../../../src/crdt/index.ts'
import { assignmentOf, dependencyCycle, dependencyMet, dependencyWait, hasStarted, placeCluster } from '../../../src/node/cluster/index.ts'
import { replica, service, view } from './helpers.ts'

const db = service('shop-db', { stack: 'shop' })
const cache = service('shop-cache', { stack: 'shop' })
const web = service('shop-web', { stack: 'shop', replicas: 2, dependsOn: [{ service: 'shop-cache', condition: 'started' }, { service: 'shop-db', condition: 'healthy' }] })

const healthy = (condition: ServiceDependency['condition']): ServiceDependency => ({ service: 'shop-db', condition })

describe('dependencyMet', () => {
  it('takes a running replica as started, and only a healthy one as healthy', () => {
    const running = view({ services: [db], replicas: [['a', replica('shop-db', 0, { state: 'running' })]] })
    expect([dependencyMet(running, healthy('started')), dependencyMet(running, healthy('healthy'))]).toEqual([true, false])
    const both = view({ nodes: ['a', 'b'], services: [db], replicas: [['a', replica('shop-db', 0, { state: 'running' })], ['b', replica('shop-db', 1, { state: 'healthy' })]] })
    expect(dependencyMet(both, healthy('healthy'))).toBe(true)
  })

  it('counts no replica that is starting, failed, or on a dead member', () => {
    for (const state of ['starting', 'exited', 'failed', 'unhealthy'] as const) {
      expect(dependencyMet(view({ services: [db], replicas: [['a', replica('shop-db', 0, { state })]] }), healthy('started'))).toBe(false)
    }
    const dead = view({ nodes: ['a', 'b'], states: { b: 'dead' }, services: [db], replicas: [['b', replica('shop-db', 0)]] })
    expect(dependencyMet(dead, healthy('started'))).toBe(false)
  })
})

describe('dependencyWait', () => {
  it('names every unmet dependency and what it must reach', () => {
    expect(dependencyWait(view({ services: [db, cache, web] }), web)).toBe('waiting for shop-cache to be running and shop-db to be healthy')
    const dbRunning = view({ services: [db, cache, web], replicas: [['a', replica('shop-db', 0, { state: 'running' })], ['a', replica('shop-cache', 0, { state: 'running' })]] })
    expect(dependencyWait(dbRunning, web)).toBe('waiting for shop-db to be healthy')
  })

  it('says when a dependency does not exist', () => {
    expect(dependencyWait(view({ services: [web, cache] }), web)).toBe('waiting for shop-cache to be running and shop-db (no such service) to be healthy')
  })

  it('lets a service start once every dependency is met, and never holds one without dependencies', () => {
    const ready = view({ services: [db, cache, web], replicas: [['a', replica('shop-db', 0)], ['a', replica('shop-cache', 0, { state: 'running' })]] })
    expect(dependencyWait(ready, web)).toBeUndefined()
    expect(dependencyWait(view({ services: [db] }), db)).toBeUndefined()
  })

  it('never holds a service that has a replica, whatever state it is in and whatever its dependencies do', () => {
    for (const state of ['starting', 'running', 'failed', 'exited'] as const) {
      const started = view({ services: [db, cache, web], replicas: [['a', replica('shop-web', 1, { state })]] })
      expect(hasStarted(started, 'shop-web')).toBe(true)
      expect(dependencyWait(started, web)).toBeUndefined()
    }
  })

  it('forgets the replicas of a removed member', () => {
    const removed = view({ nodes: ['a', 'b'], services: [db, cache, web], replicas: [['b', replica('shop-web', 0)]], removals: { b: { reason: 'removed', name: 'b', at: 0 } } })
    expect(hasStarted(removed, 'shop-web')).toBe(false)
  })
})

describe('placeCluster with dependencies', () => {
  it('leaves the waiting service\'s slots unplaced with the reason, and places them once the dependency is met', () => {
    const waiting = view({ services: [db, cache, web], replicas: [['a', replica('shop-cache', 0, { state: 'running' })], ['a', replica('shop-db', 0, { state: 'running' })]] })
    const placement = placeCluster(waiting)
    expect(placement.unplaced).toEqual([
      { service: 'shop-web', slot: 0, key: 'shop-web#0', reason: 'waiting for shop-db to be healthy' },
      { service: 'shop-web', slot: 1, key: 'shop-web#1', reason: 'waiting for shop-db to be healthy' }
    ])
    expect(placement.assignments.map((a) => a.key)).toEqual(['shop-cache#0', 'shop-db#0'])
    expect(assignmentOf(waiting, placement).desired.map((slot) => slot.key)).toEqual(['shop-cache#0', 'shop-db#0'])

    const ready = view({ services: [db, cache, web], replicas: [['a', replica('shop-cache', 0, { state: 'running' })], ['a', replica('shop-db', 0, { state: 'healthy' })]] })
    expect(placeCluster(ready).unplaced).toEqual([])
    expect(placeCluster(ready).assignments.map((a) => a.key)).toEqual(['shop-cache#0', 'shop-db#0', 'shop-web#0', 'shop-web#1'])
  })

  it('keeps every slot of a started service placed when its dependency goes away', () => {
    const dbGone = view({ services: [db, cache, web], replicas: [['a', replica('shop-web', 0)]] })
    expect(placeCluster(dbGone).assignments.map((a) => a.key)).toContain('shop-web#1')
    expect(placeCluster(dbGone).unplaced).toEqual([])
  })
})

describe('dependencyCycle', () => {
  it('finds a cycle, and none in a chain or among unknown services', () => {
    const spec = (name: string, ...on: string[]) => ({ name, dependsOn: on.map((service) => ({ service, condition: 'started' as const })) })
    expect(dependencyCycle([spec('a', 'b'), spec('b', 'c'), spec('c', 'a')])).toEqual(['a', 'b', 'c', 'a'])
    expect(dependencyCycle([spec('a', 'b'), spec('b', 'c'), spec('c')])).toBeUndefined()
    expect(dependencyCycle([spec('a', 'x'), spec('b', 'a')])).toBeUndefined()
    expect(dependencyCycle([spec('a', 'b', 'c'), spec('b', 'c'), spec('c', 'b')])).toEqual(['b', 'c', 'b'])
  })
})
