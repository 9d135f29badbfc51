// The rollout coordinator against an in-memory cluster document: batches of
// `parallelism`, healthy for `monitor` before the next, automatic rollback and pause,
// a manual rollback, and which generation each slot runs meanwhile.

import { describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import type { ReplicaRecord, ServiceSpec } from '../../../src/crdt/index.ts'
import { rollbackService, writeService } from '../../../src/node/api/index.ts'
import { clusterView, generationsOf } from '../../../src/node/cluster/index.ts'
import { RolloutDriver } from '../../../src/node/rollout/index.ts'
import { EventBus } from '../../../src/node/events/index.ts'
import { recordingLogger } from '../../support/logger.ts'

const SELF = 'node-a'
const T0 = 1_000_000

function spec (env: string, fields: Partial<ServiceSpec> = {}): ServiceSpec {
  return { name: 'web', image: 'meshd/busybox:latest', env: { V: env }, replicas: 4, ports: [], labels: {}, update: { parallelism: 2, monitor: '1s' }, ...fields }
}

function cluster () {
  const document = new ClusterDocument({ log: recordingLogger() })
  document.putNode(SELF, { name: 'a', host: '127.0.0.1', apiPort: 1, p2pPort: 2, labels: {}, draining: false, startedAt: 0 })
  const slots = [0, 1, 2, 3]
  let now = T0
  const view = () => clusterView(document.snapshot(), SELF, () => 'alive', now)
  const events = new EventBus({ node: 'a' })
  const driver = new RolloutDriver({ document, view, log: recordingLogger(), events })
  /** One driver pass at time `at`. */
  const tick = (at: number): void => {
    now = at
    driver.tick()
  }
  /** This node reports slot `slot` running `generation` in `state` since `at`. */
  const report = (slot: number, generation: number, state: ReplicaRecord['state'], at: number) => {
    document.putReplica(SELF, `web#${slot}`, { service: 'web', slot, generation, node: 'a', container: `c${slot}g${generation}`, endpoint: '', ports: [], state, updatedAt: at })
  }
  const generations = () => slots.map((slot) => generationsOf(view())('web', slot))
  /** The rollout events so far, as "kind slots". */
  const emitted = () => events.recent().map((e) => e.kind + (Array.isArray(e.slots) ? ` ${e.slots.join(',')}` : ''))
  return { document, tick, report, generations, emitted }
}

describe('rolling updates', () => {
  it('moves `parallelism` slots at a time, each batch healthy for `monitor` before the next', () => {
    const { document, tick, report, generations } = cluster()
    writeService(document, spec('one'), T0)
    for (const slot of [0, 1, 2, 3]) report(slot, 1, 'healthy', T0)
    writeService(document, spec('two'), T0 + 10)
    expect(generations()).toEqual([1, 1, 1, 1])

    tick(T0 + 20)
    expect(generations()).toEqual([2, 2, 1, 1])
    report(0, 2, 'healthy', T0 + 500)
    report(1, 2, 'healthy', T0 + 600)
    tick(T0 + 1200)
    expect(generations()).toEqual([2, 2, 1, 1]) // slot 1 not healthy for 1 s yet
    tick(T0 + 1700)
    expect(generations()).toEqual([2, 2, 2, 2])
    report(2, 2, 'healthy', T0 + 1800)
    report(3, 2, 'healthy', T0 + 1800)
    tick(T0 + 3000)
    expect(document.rollout('web')).toMatchObject({ phase: 'completed', generation: 2, from: 1, failures: 0 })
  })

  it('rolls back by itself when an updated replica fails, keeping the slots it never moved', () => {
    const { document, tick, report, generations } = cluster()
    writeService(document, spec('one'), T0)
    for (const slot of [0, 1, 2, 3]) report(slot, 1, 'healthy', T0)
    writeService(document, spec('broken'), T0 + 10)
    tick(T0 + 20)
    report(0, 2, 'unhealthy', T0 + 300)
    tick(T0 + 400)
    const record = document.service('web')!
    expect(record.generation).toBe(1)
    expect(record.spec.env).toEqual({ V: 'one' })
    expect(record.previous?.generation).toBe(2)
    expect(document.rollout('web')).toMatchObject({ rollback: true, generation: 1, from: 2, updated: [2, 3] })
    // Slots 2 and 3 never left generation 1; 0 and 1 go back in batches.
    expect(generations()).toEqual([2, 2, 1, 1])
    tick(T0 + 500)
    expect(generations()).toEqual([1, 1, 1, 1])
    report(0, 1, 'healthy', T0 + 600)
    report(1, 1, 'healthy', T0 + 600)
    tick(T0 + 2000)
    expect(document.rollout('web')).toMatchObject({ phase: 'rolled-back', reason: '1 of 4 updated replicas failed' })
    // A later update takes a fresh generation number.
    expect(writeService(document, spec('three'), T0 + 3000).record.generation).toBe(3)
  })

  it('pauses instead when failureAction is pause', () => {
    const { document, tick, report } = cluster()
    writeService(document, spec('one'), T0)
    writeService(document, spec('broken', { update: { parallelism: 1, failureAction: 'pause' } }), T0 + 10)
    tick(T0 + 20)
    report(0, 2, 'failed', T0 + 30)
    tick(T0 + 40)
    expect(document.rollout('web')).toMatchObject({ phase: 'paused', failures: 1 })
    expect(document.service('web')!.generation).toBe(2)
  })

  it('rolls back on request, in batches, to the previous spec and generation', () => {
    const { document, tick, generations } = cluster()
    writeService(document, spec('one'), T0)
    writeService(document, spec('two'), T0 + 10)
    document.putRollout('web', { ...document.rollout('web')!, phase: 'completed', updated: [0, 1, 2, 3] })
    const back = rollbackService(document, 'web', [0, 1, 2, 3], T0 + 20)
    expect(back).toMatchObject({ generation: 1, spec: { env: { V: 'one' } }, previous: { generation: 2 } })
    expect(generations()).toEqual([2, 2, 2, 2])
    tick(T0 + 30)
    expect(generations()).toEqual([1, 1, 2, 2])
  })

  it('rolls a change made during a rollout out from where that rollout started', () => {
    const { document, tick, report, generations } = cluster()
    writeService(document, spec('one'), T0)
    for (const slot of [0, 1, 2, 3]) report(slot, 1, 'healthy', T0)
    writeService(document, spec('two'), T0 + 10)
    tick(T0 + 20)
    expect(generations()).toEqual([2, 2, 1, 1])
    // A fix pushed mid-way: the unmoved slots stay on 1, the moved ones go back to 1, then 3 rolls out.
    const fixed = writeService(document, spec('three'), T0 + 30).record
    expect(fixed).toMatchObject({ generation: 3, previous: { generation: 1, spec: { env: { V: 'one' } } } })
    expect(generations()).toEqual([1, 1, 1, 1])
    tick(T0 + 40)
    expect(generations()).toEqual([3, 3, 1, 1])
  })

  it('keeps the replica count of a scale made since the update when rolling back, and ignores slots scaled away', () => {
    const { document, tick, report } = cluster()
    writeService(document, spec('one'), T0)
    writeService(document, spec('two'), T0 + 10)
    document.putRollout('web', { ...document.rollout('web')!, updated: [0, 1, 2, 3, 7] })
    for (const slot of [0, 1, 2, 3]) report(slot, 2, 'healthy', T0 + 20)
    tick(T0 + 5000)
    expect(document.rollout('web')!.phase).toBe('completed')
    writeService(document, spec('two', { replicas: 6 }), T0 + 6000)
    expect(rollbackService(document, 'web', [0, 1, 2, 3, 4, 5], T0 + 7000).spec.replicas).toBe(6)
  })

  it('emits each step it writes once: progress per batch, then done; rolled back; paused', () => {
    const update = cluster()
    writeService(update.document, spec('one'), T0)
    for (const slot of [0, 1, 2, 3]) update.report(slot, 1, 'healthy', T0)
    writeService(update.document, spec('two'), T0 + 10)
    update.tick(T0 + 20)
    update.tick(T0 + 30)
    for (const slot of [0, 1]) update.report(slot, 2, 'healthy', T0 + 40)
    update.tick(T0 + 1100)
    for (const slot of [2, 3]) update.report(slot, 2, 'healthy', T0 + 1200)
    update.tick(T0 + 2300)
    update.tick(T0 + 2400)
    expect(update.emitted()).toEqual(['rollout.progress 0,1', 'rollout.progress 2,3', 'rollout.done'])

    const failing = cluster()
    writeService(failing.document, spec('one'), T0)
    for (const slot of [0, 1, 2, 3]) failing.report(slot, 1, 'healthy', T0)
    writeService(failing.document, spec('broken'), T0 + 10)
    failing.tick(T0 + 20)
    failing.report(0, 2, 'unhealthy', T0 + 300)
    failing.tick(T0 + 400)
    expect(failing.emitted()).toEqual(['rollout.progress 0,1', 'rollout.rolledback'])

    const paused = cluster()
    writeService(paused.document, spec('one'), T0)
    writeService(paused.document, spec('broken', { update: { parallelism: 1, failureAction: 'pause' } }), T0 + 10)
    paused.tick(T0 + 20)
    paused.report(0, 2, 'failed', T0 + 30)
    paused.tick(T0 + 40)
    paused.tick(T0 + 50)
    expect(paused.emitted()).toEqual(['rollout.progress 0', 'rollout.paused'])
  })

  it('refuses a rollback with nothing to go back to', () => {
    const { document } = cluster()
    writeService(document, spec('one'), T0)
    expect(() => rollbackService(document, 'web', [0], T0)).toThrow(/no previous spec/)
  })
})
