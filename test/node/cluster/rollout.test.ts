// The rules of rolling updates: settings, generations per slot, rollbacks, coordinators.

import { describe, expect, it } from 'vitest'
import type { RolloutRecord } from '../../../src/crdt/index.ts'
import { coordinatorOf, desiredGeneration, inProgress, releaseOf, resolveUpdate, rollbackOf, specOf } from '../../../src/node/cluster/index.ts'
import { service, T0, view } from './helpers.ts'

const previous = service('web', { env: { V: 'one' } }).spec
const record = service('web', { env: { V: 'two' }, replicas: 4 }, { generation: 2, previous: { generation: 1, spec: previous } })
const rolling = (fields: Partial<RolloutRecord> = {}): RolloutRecord => ({ generation: 2, from: 1, phase: 'rolling', updated: [0, 1], failed: [], failures: 0, startedAt: T0, updatedAt: T0, ...fields })

describe('rollout rules', () => {
  it('fills in the update defaults', () => {
    expect(resolveUpdate(service('web').spec)).toEqual({ parallelism: 1, delayMs: 0, stopFirst: false, failureAction: 'rollback', monitorMs: 1000, maxFailureRatio: 0 })
    expect(resolveUpdate(service('web', { update: { order: 'stop-first', delay: '2s' } }).spec)).toMatchObject({ stopFirst: true, delayMs: 2000 })
  })

  it('knows the spec of the current and the previous generation only', () => {
    expect([specOf(record, 2)?.env, specOf(record, 1)?.env, specOf(record, 7)]).toEqual([{ V: 'two' }, { V: 'one' }, undefined])
  })

  it('runs each generation with the image id recorded for it, and the current one for a generation it no longer knows', () => {
    const [A, B] = [`sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`]
    const pinned = { ...record, imageId: B, previous: { generation: 1, spec: previous, imageId: A } }
    expect(releaseOf(pinned, 2)).toEqual({ spec: record.spec, imageId: B })
    expect(releaseOf(pinned, 1)).toEqual({ spec: previous, imageId: A })
    expect(releaseOf(pinned, 7)).toEqual({ spec: record.spec, imageId: B })
    expect(releaseOf(record, 1)).toStrictEqual({ spec: previous })
    const back = rollbackOf(pinned, undefined, [0], T0, 'asked')!.record
    expect([back.imageId, back.previous?.imageId]).toEqual([A, B])
    expect(rollbackOf(record, undefined, [0], T0, 'asked')!.record).not.toHaveProperty('imageId')
  })

  it('runs moved slots on the target, the others on the generation they come from', () => {
    expect([0, 1, 2, 3].map((slot) => desiredGeneration(record, rolling(), slot))).toEqual([2, 2, 1, 1])
    expect([0, 3].map((slot) => desiredGeneration(record, rolling({ phase: 'completed' }), slot))).toEqual([2, 2])
    expect(inProgress(record, rolling({ phase: 'paused' }))).toBe(true)
    expect(inProgress(record, rolling({ generation: 3 }))).toBe(false)
  })

  it('rolls back to the previous spec and generation, keeping the replica count and the slots never moved', () => {
    const back = rollbackOf(record, rolling(), [0, 1, 2, 3], T0 + 5, 'asked')!
    expect(back.record).toMatchObject({ generation: 1, spec: { env: { V: 'one' }, replicas: 4 }, previous: { generation: 2 } })
    expect(back.rollout).toMatchObject({ generation: 1, from: 2, rollback: true, updated: [2, 3], reason: 'asked', startedAt: T0 + 5 })
    expect(rollbackOf(service('web'), undefined, [0], T0, 'asked')).toBeUndefined()
  })

  it('has one coordinator per service, the same on every node, never a dead one', () => {
    const members = ['n1', 'n2', 'n3', 'n4']
    const first = coordinatorOf(view({ nodes: members }), 'web')
    expect(members.map((self) => coordinatorOf(view({ self, nodes: members }), 'web'))).toEqual(members.map(() => first))
    const observer = members.find((id) => id !== first)!
    const next = coordinatorOf(view({ self: observer, nodes: members, states: { [first!]: 'dead' } }), 'web')
    expect(next).not.toBe(first)
    expect(members).toContain(next)
  })
})
