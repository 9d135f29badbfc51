// A replica's events as the reconciler emits them: started, and moved when another
// node's record of the slot is in the document (not when it is this node's own, or
// another slot's); failed with its exit code; unhealthy; stopped with its reason.

import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { EventBus } from '../../../src/node/events/index.ts'
import { ReplicaEvents } from '../../../src/node/reconciler/events.ts'
import type { Tracked } from '../../../src/node/reconciler/tracked.ts'
import { silent } from '../../support/logger.ts'

const tracked = (slot: number): Tracked => ({ id: `c${slot}`.padEnd(64, '0'), key: `web#${slot}`, service: 'web', slot, generation: 1, state: 'running' })
const record = (slot: number, node: string) => ({ service: 'web', slot, generation: 1, node, container: 'x', endpoint: '', ports: [], state: 'healthy' as const, updatedAt: 0 })

describe('ReplicaEvents', () => {
  it('tells a start, and a move when another node filed the slot', () => {
    const document = new ClusterDocument({ log: silent })
    document.putReplica('id-3', 'web#0', record(0, 'node-3'))
    document.putReplica('id-1', 'web#1', record(1, 'node-1'))
    document.putReplica('id-2', 'web#2', record(2, 'node-2'))
    const bus = new EventBus({ node: 'node-1' })
    const events = new ReplicaEvents(bus, 'id-1', document)
    events.started(tracked(0), 'node-1')
    events.started(tracked(1), 'node-1')
    events.started(tracked(3), 'node-1')
    expect(bus.recent().map((e) => [e.kind, e.slot, e.from])).toEqual([
      ['replica.started', 0, undefined], ['replica.moved', 0, 'node-3'], ['replica.started', 1, undefined], ['replica.started', 3, undefined]
    ])
  })

  it('tells failures with the exit code, unhealthy replicas and stops', () => {
    const bus = new EventBus({ node: 'node-1' })
    const events = new ReplicaEvents(bus, 'id-1', new ClusterDocument({ log: silent }))
    events.failed(tracked(0), 'exited', 'container exited with code 137', 137)
    events.failed(tracked(1), 'unhealthy', 'health check failed: refused')
    events.healthy(tracked(2))
    events.stopped(tracked(0), 'exited')
    expect(bus.recent().map(({ kind, slot, exitCode, reason }) => ({ kind, slot, exitCode, reason }))).toEqual([
      { kind: 'replica.failed', slot: 0, exitCode: 137, reason: 'container exited with code 137' },
      { kind: 'replica.unhealthy', slot: 1, exitCode: undefined, reason: 'health check failed: refused' },
      { kind: 'replica.healthy', slot: 2, exitCode: undefined, reason: undefined },
      { kind: 'replica.stopped', slot: 0, exitCode: undefined, reason: 'exited' }
    ])
  })
})
