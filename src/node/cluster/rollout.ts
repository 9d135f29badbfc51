// The rules of rolling updates and rollbacks, shared by the API (which starts them),
// the reconciler (which runs the generation each slot must run) and the coordinator
// (which moves slots, rollout-step.ts). A spec change writes the new generation and a
// rollout record in one transaction; every slot keeps running the generation it comes
// from until the rollout moves it.

import type { RolloutRecord, ServiceRecord, ServiceSpec } from '../../crdt/index.ts'
import { hash32 } from '../../placement/index.ts'
import { parseDuration } from '../spec/index.ts'
import { UPDATE_DEFAULTS } from './constants.ts'
import { notDead } from './view.ts'
import type { ClusterView } from './view.ts'

export interface ResolvedUpdate {
  parallelism: number
  delayMs: number
  stopFirst: boolean
  failureAction: 'rollback' | 'pause' | 'continue'
  monitorMs: number
  maxFailureRatio: number
}

/** A spec's update settings with the defaults filled in. */
export function resolveUpdate (spec: ServiceSpec): ResolvedUpdate {
  const u = { ...UPDATE_DEFAULTS, ...spec.update }
  return {
    parallelism: u.parallelism,
    delayMs: parseDuration(u.delay),
    stopFirst: u.order === 'stop-first',
    failureAction: u.failureAction,
    monitorMs: parseDuration(u.monitor),
    maxFailureRatio: u.maxFailureRatio
  }
}

/** The spec a generation of the service runs, when the record still knows it. */
export function specOf (record: ServiceRecord, generation: number): ServiceSpec | undefined {
  if (generation === record.generation) return record.spec
  if (generation === record.previous?.generation) return record.previous.spec
  return undefined
}

/** What a slot of `generation` runs: that generation's spec and recorded image id, or the current ones when the record no longer knows it. */
export function releaseOf (record: ServiceRecord, generation: number): { spec: ServiceSpec, imageId?: string } {
  const release = generation !== record.generation && generation === record.previous?.generation ? record.previous : record
  return { spec: release.spec, ...(release.imageId === undefined ? {} : { imageId: release.imageId }) }
}

/** Whether a rollout still decides which generation each slot runs. */
export function inProgress (record: ServiceRecord, rollout: RolloutRecord | undefined): rollout is RolloutRecord {
  return rollout !== undefined && rollout.generation === record.generation && (rollout.phase === 'rolling' || rollout.phase === 'paused')
}

/** The generation a slot must run now: the target once the rollout has moved it, else the one it comes from. */
export function desiredGeneration (record: ServiceRecord, rollout: RolloutRecord | undefined, slot: number): number {
  if (!inProgress(record, rollout) || rollout.updated.includes(slot)) return record.generation
  return specOf(record, rollout.from) === undefined ? record.generation : rollout.from
}

/** A fresh rollout from `from` to the record's generation; `updated` lists slots already there. */
export function newRollout (record: ServiceRecord, from: number, now: number, fields: Partial<RolloutRecord> = {}): RolloutRecord {
  return { generation: record.generation, from, phase: 'rolling', updated: [], failed: [], failures: 0, startedAt: now, updatedAt: now, ...fields }
}

/**
 * The record and rollout that take a service back to its previous spec and generation.
 * Slots not yet moved by an update in progress are already there; the rest roll back
 * in batches. Undefined when there is nothing to go back to.
 */
export function rollbackOf (record: ServiceRecord, rollout: RolloutRecord | undefined, slots: readonly number[], now: number, reason: string): { record: ServiceRecord, rollout: RolloutRecord } | undefined {
  const previous = record.previous
  if (previous === undefined) return undefined
  // The replica count is not part of what rolls back: a scale since the update stays.
  const spec = previous.spec.mode === 'global' ? previous.spec : { ...previous.spec, replicas: record.spec.replicas }
  const { imageId: _current, ...rest } = record
  const back: ServiceRecord = {
    ...rest,
    spec,
    generation: previous.generation,
    ...(previous.imageId === undefined ? {} : { imageId: previous.imageId }),
    previous: { spec: record.spec, generation: record.generation, ...(record.imageId === undefined ? {} : { imageId: record.imageId }) },
    updatedAt: now
  }
  const moved = inProgress(record, rollout) && rollout.from === previous.generation ? new Set(rollout.updated) : undefined
  const already = moved === undefined ? [] : slots.filter((slot) => !moved.has(slot))
  return { record: back, rollout: newRollout(back, record.generation, now, { rollback: true, updated: already, reason }) }
}

/** The coordinator of a service: the member not dead that ranks first for its name (rendezvous hashing). */
export function coordinatorOf (view: ClusterView, service: string): string | undefined {
  let best: string | undefined
  let bestScore = -1
  for (const id of Object.keys(view.nodes)) {
    if (!notDead(view, id)) continue
    const score = hash32(`${service}\u0000${id}`)
    if (score > bestScore || (score === bestScore && best !== undefined && id < best)) {
      best = id
      bestScore = score
    }
  }
  return best
}
