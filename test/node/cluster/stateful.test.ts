// Stateful slots: placement keeps a slot with volume data on the node holding it; a
// drain moves it with its data; a lost holder makes it wait unless its volumes say to
// start empty; the node taking the data over holds it at the next epoch.

import { describe, expect, it } from 'vitest'
import type { VolumeHold, VolumeSpec } from '../../../src/crdt/index.ts'
import { assignmentOf, placeCluster } from '../../../src/node/cluster/index.ts'
import { node, replica, service, view } from './helpers.ts'

const volumes = (onNodeLoss?: VolumeSpec['onNodeLoss']): VolumeSpec[] => [{ source: 'data', target: '/data', ...(onNodeLoss === undefined ? {} : { onNodeLoss }) }]
const db = (onNodeLoss?: VolumeSpec['onNodeLoss'], replicas = 1) => service('db', { replicas, volumes: volumes(onNodeLoss) })
const hold = (slot: number, epoch: number, released = false): Record<string, VolumeHold> => ({ [`db#${slot}`]: { service: 'db', slot, epoch, ...(released ? { released } : {}) } })
const nodes = (holds: Record<string, Record<string, VolumeHold>>) =>
  Object.fromEntries(['a', 'b', 'c'].map((id) => [id, node(id, holds[id] === undefined ? {} : { holds: holds[id] })]))
const ownerOf = (placement: ReturnType<typeof placeCluster>, key = 'db#0') => placement.assignments.find((a) => a.key === key)?.node

describe('stateful placement', () => {
  it('keeps a slot on the node that holds its data, whatever placement would prefer', () => {
    for (const holder of ['a', 'b', 'c']) {
      const placement = placeCluster(view({ nodes: nodes({ [holder]: hold(0, 1) }), services: [db()] }))
      expect(ownerOf(placement)).toBe(holder)
    }
  })

  it('places a slot with no data yet like any other, and starts it at epoch 1', () => {
    const v = view({ nodes: nodes({}), services: [db()] })
    const owner = ownerOf(placeCluster(v))!
    const desired = assignmentOf({ ...v, self: owner }).desired
    expect(desired).toEqual([expect.objectContaining({ key: 'db#0', stopFirst: true, data: { epoch: 1 } })])
  })

  it('moves the slot off a draining holder, and the new node waits until the data is released', () => {
    const drains = { a: { draining: true, updatedAt: 0 } }
    const held = view({ nodes: nodes({ a: hold(0, 3) }), services: [db()], drains })
    const owner = ownerOf(placeCluster(held))!
    expect(owner).not.toBe('a')
    expect(assignmentOf({ ...held, self: owner }).desired[0]?.data).toEqual({ epoch: 4, from: 'a', waitFor: 'waiting for a to stop the replica and release its volume data' })
    const released = view({ self: owner, nodes: nodes({ a: hold(0, 3, true) }), services: [db()], drains })
    expect(assignmentOf(released).desired[0]?.data).toEqual({ epoch: 4, from: 'a' })
  })

  it('stops the old holder\'s replica at once: no make-before-break for data', () => {
    const drains = { a: { draining: true, updatedAt: 0 } }
    const v = view({ self: 'a', nodes: nodes({ a: hold(0, 1) }), services: [db()], drains, replicas: [['a', replica('db', 0)]] })
    const assignment = assignmentOf(v)
    expect(assignment.desired).toEqual([])
    expect(assignment.hold('db#0')).toBe(false)
  })

  it('follows the highest epoch when two nodes hold a copy', () => {
    const placement = placeCluster(view({ nodes: nodes({ a: hold(0, 1, true), b: hold(0, 2) }), services: [db()] }))
    expect(ownerOf(placement)).toBe('b')
  })

  it('waits for a dead holder by default, and says why', () => {
    const placement = placeCluster(view({ nodes: nodes({ c: hold(0, 1) }), states: { c: 'dead' }, services: [db()] }))
    expect(ownerOf(placement)).toBeUndefined()
    expect(placement.unplaced).toEqual([expect.objectContaining({ key: 'db#0', reason: 'waiting for c, which holds its volume data' })])
  })

  it('starts empty elsewhere at the next epoch when the volumes say so', () => {
    const v = view({ nodes: nodes({ c: hold(0, 5) }), states: { c: 'dead' }, services: [db('empty')] })
    const owner = ownerOf(placeCluster(v))
    expect(owner).toBeDefined()
    expect(owner).not.toBe('c')
    expect(assignmentOf({ ...v, self: owner! }).desired[0]?.data).toEqual({ epoch: 6 })
  })

  it('keeps a slot with a suspect holder where it is', () => {
    const placement = placeCluster(view({ nodes: nodes({ c: hold(0, 1) }), states: { c: 'suspect' }, services: [db()] }))
    expect(ownerOf(placement)).toBe('c')
  })

  it('pins every slot of a service to its own holder, and places the new ones', () => {
    const placement = placeCluster(view({ nodes: nodes({ a: { ...hold(0, 1), ...hold(1, 1) } }), services: [db(undefined, 3)] }))
    expect(placement.assignments.map((a) => [a.key, a.node]).slice(0, 2)).toEqual([['db#0', 'a'], ['db#1', 'a']])
    expect(placement.assignments).toHaveLength(3)
  })

  it('ignores the holds of a removed member', () => {
    const removals = { c: { reason: 'removed' as const, name: 'c', at: 0 } }
    const placement = placeCluster(view({ nodes: nodes({ c: hold(0, 1) }), states: { c: 'dead' }, services: [db()], removals }))
    expect(ownerOf(placement)).toBeDefined()
  })

  it('leaves services without volumes alone', () => {
    const placement = placeCluster(view({ nodes: nodes({ a: hold(0, 1) }), services: [service('db', { replicas: 1 })], drains: {} }))
    const v = view({ self: ownerOf(placement)!, nodes: nodes({}), services: [service('db')] })
    expect(assignmentOf(v).desired[0]?.data).toBeUndefined()
  })
})
