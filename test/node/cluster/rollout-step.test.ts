// The coordinator's next step, decided from a view alone.

import { describe, expect, it } from 'vitest'
import type { ReplicaRecord, RolloutRecord } from '../../../src/crdt/index.ts'
import { coordinatedRollouts, coordinatorOf, rolloutStep } from '../../../src/node/cluster/index.ts'
import { replica, service, T0, view } from './helpers.ts'

const record = service('web', { replicas: 4, update: { parallelism: 2, monitor: '1s' } }, { generation: 2, previous: { generation: 1, spec: service('web', { replicas: 4 }).spec } })
const rolling = (fields: Partial<RolloutRecord> = {}): RolloutRecord => ({ generation: 2, from: 1, phase: 'rolling', updated: [], failed: [], failures: 0, startedAt: T0, updatedAt: T0, ...fields })
const slots = [0, 1, 2, 3]
const at = (now: number, replicas: ReplicaRecord[] = []) => view({ now, services: [record], replicas: replicas.map((r) => ['a', r]) })

describe('rolloutStep', () => {
  it('takes the first batch of `parallelism` slots', () => {
    const step = rolloutStep(at(T0 + 1), record, rolling(), slots)
    expect(step).toMatchObject({ action: 'batch', slots: [0, 1], rollout: { updated: [0, 1], batchAt: T0 + 1 } })
  })

  it('waits until the batch has been healthy for `monitor`, then takes the next', () => {
    const healthy = [replica('web', 0, { generation: 2, updatedAt: T0 + 500 }), replica('web', 1, { generation: 2, updatedAt: T0 + 500 })]
    expect(rolloutStep(at(T0 + 1000, healthy), record, rolling({ updated: [0, 1], batchAt: T0 }), slots).action).toBe('wait')
    expect(rolloutStep(at(T0 + 1500, healthy), record, rolling({ updated: [0, 1], batchAt: T0 }), slots)).toMatchObject({ action: 'batch', slots: [2, 3] })
  })

  it('rolls back when an updated slot fails, and pauses a rollback that fails', () => {
    const failed = [replica('web', 0, { generation: 2, state: 'unhealthy', updatedAt: T0 + 10 })]
    const step = rolloutStep(at(T0 + 20, failed), record, rolling({ updated: [0, 1] }), slots)
    expect(step).toMatchObject({ action: 'rollback', reason: '1 of 4 updated replicas failed', record: { generation: 1 } })
    const again = rolloutStep(at(T0 + 20, failed), record, rolling({ updated: [0, 1], rollback: true }), slots)
    expect(again).toMatchObject({ action: 'pause', rollout: { phase: 'paused', failed: [0], failures: 1 } })
  })

  it('completes once every slot runs the target', () => {
    const done = slots.map((slot) => replica('web', slot, { generation: 2, updatedAt: T0 }))
    expect(rolloutStep(at(T0 + 5000, done), record, rolling({ updated: slots }), slots)).toMatchObject({ action: 'complete', rollout: { phase: 'completed' } })
  })

  it('lists the rollouts this node coordinates', () => {
    const nodes = ['a', 'b', 'c']
    const coordinator = coordinatorOf(view({ nodes }), 'web')!
    for (const self of nodes) {
      const v = view({ self, nodes, services: [record], rollouts: { web: rolling() } })
      expect(coordinatedRollouts(v)).toEqual(self === coordinator ? ['web'] : [])
    }
  })
})
