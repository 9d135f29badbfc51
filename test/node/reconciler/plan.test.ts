import { describe, expect, it } from 'vitest'
import { plan } from '../../../src/node/reconciler/plan.ts'
import type { TrackedReplica } from '../../../src/node/reconciler/plan.ts'
import { DATA_RECHECK_MS } from '../../../src/node/reconciler/constants.ts'
import type { DesiredSlot } from '../../../src/node/cluster/index.ts'
import type { ReplicaState } from '../../../src/crdt/index.ts'

const slot = (n: number, generation = 1): DesiredSlot => ({ key: `web#${n}`, service: 'web', slot: n, generation })
const replica = (id: string, n: number, state: ReplicaState, generation = 1, pending = false): TrackedReplica =>
  ({ id, key: `web#${n}`, service: 'web', slot: n, generation, state, ...(pending ? { pending } : {}) })
const ids = (items: Array<{ id: string }>): string[] => items.map((r) => r.id).sort()
const stopped = (result: ReturnType<typeof plan>): Record<string, string> =>
  Object.fromEntries(result.stop.map(({ replica, reason }) => [replica.id, reason]))

describe('plan', () => {
  it('starts every missing slot', () => {
    const result = plan({ desired: [slot(0), slot(1)], replicas: [replica('a', 0, 'healthy')], now: 0, retryAt: new Map() })
    expect(result.start.map((s) => s.key)).toEqual(['web#1'])
    expect(ids(result.keep)).toEqual(['a'])
    expect(result.stop).toEqual([])
  })

  it('stops surplus slots and replicas of deleted services', () => {
    const other = { ...replica('x', 0, 'healthy'), key: 'gone#0', service: 'gone' }
    const result = plan({ desired: [slot(0)], replicas: [replica('a', 0, 'healthy'), replica('b', 1, 'healthy'), other], now: 0, retryAt: new Map() })
    expect(stopped(result)).toEqual({ b: 'not-desired', x: 'not-desired' })
  })

  it('replaces exited and unhealthy replicas at once', () => {
    const result = plan({ desired: [slot(0), slot(1)], replicas: [replica('a', 0, 'exited'), replica('b', 1, 'unhealthy')], now: 0, retryAt: new Map() })
    expect(stopped(result)).toEqual({ a: 'exited', b: 'unhealthy' })
    expect(result.start.map((s) => s.key)).toEqual(['web#0', 'web#1'])
  })

  it('waits out a backoff instead of starting', () => {
    const result = plan({ desired: [slot(0)], replicas: [], now: 100, retryAt: new Map([['web#0', 500]]) })
    expect(result.start).toEqual([])
    expect(result.waiting).toEqual([{ slot: slot(0), until: 500 }])
  })

  it('waits while a slot\'s data is still with the node it comes from, then starts', () => {
    const waiting: DesiredSlot = { ...slot(0), stopFirst: true, data: { epoch: 2, from: 'a', waitFor: 'waiting for a' } }
    const result = plan({ desired: [waiting], replicas: [], now: 100, retryAt: new Map() })
    expect(result.start).toEqual([])
    expect(result.waiting).toEqual([{ slot: waiting, until: 100 + DATA_RECHECK_MS }])
    const released: DesiredSlot = { ...waiting, data: { epoch: 2, from: 'a' } }
    expect(plan({ desired: [released], replicas: [], now: 100, retryAt: new Map() }).start).toEqual([released])
  })

  it('keeps the best of duplicates and stops the rest', () => {
    const result = plan({ desired: [slot(0)], replicas: [replica('b', 0, 'running'), replica('a', 0, 'healthy'), replica('c', 0, 'healthy')], now: 0, retryAt: new Map() })
    expect(ids(result.keep)).toEqual(['a'])
    expect(stopped(result)).toEqual({ b: 'duplicate', c: 'duplicate' })
  })

  it('replaces a generation start-first: the old one serves until the new one is healthy', () => {
    const starting = plan({ desired: [slot(0, 2)], replicas: [replica('old', 0, 'healthy', 1)], now: 0, retryAt: new Map() })
    expect(starting.start.map((s) => s.generation)).toEqual([2])
    expect(ids(starting.keep)).toEqual(['old'])

    const running = plan({ desired: [slot(0, 2)], replicas: [replica('old', 0, 'healthy', 1), replica('new', 0, 'running', 2)], now: 0, retryAt: new Map() })
    expect(running.stop).toEqual([])

    const healthy = plan({ desired: [slot(0, 2)], replicas: [replica('old', 0, 'healthy', 1), replica('new', 0, 'healthy', 2)], now: 0, retryAt: new Map() })
    expect(stopped(healthy)).toEqual({ old: 'superseded' })
  })

  it('never stops a start still in flight, and does not start the slot twice', () => {
    const result = plan({ desired: [], replicas: [replica('p', 0, 'starting', 1, true)], now: 0, retryAt: new Map() })
    expect(result.stop).toEqual([])
    const again = plan({ desired: [slot(0)], replicas: [replica('p', 0, 'starting', 1, true)], now: 0, retryAt: new Map() })
    expect(again.start).toEqual([])
  })
})

describe('plan with spec hashes', () => {
  it('replaces a replica of the right generation built from another spec (a concurrent write that lost)', () => {
    const slot = { key: 'web#0', service: 'web', slot: 0, generation: 2, specHash: 'winner' }
    const loser = { id: 'c1', key: 'web#0', service: 'web', slot: 0, generation: 2, state: 'healthy' as const, specHash: 'loser' }
    const result = plan({ desired: [slot], replicas: [loser], now: 0, retryAt: new Map() })
    expect(result.start).toEqual([slot])
    expect(result.keep).toEqual([loser])
    const old = { ...loser, specHash: undefined }
    expect(plan({ desired: [slot], replicas: [old], now: 0, retryAt: new Map() }).start).toEqual([])
  })
})
