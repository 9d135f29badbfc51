// What a service's coordinator does next in a rollout, decided from a view: take the
// next batch of `parallelism` slots once the last batch has been healthy for
// `monitor` (and `delay` has passed), roll back or pause when too many updated slots
// failed, or finish. The driver (src/node/rollout) writes what this returns.

import type { ReplicaRecord, RolloutRecord, ServiceRecord } from '../../crdt/index.ts'
import { coordinatorOf, inProgress, resolveUpdate, rollbackOf } from './rollout.ts'
import { notDead } from './view.ts'
import type { ClusterView } from './view.ts'

export type RolloutStep =
  /** Too many updated slots failed: back to the previous spec and generation. */
  | { action: 'rollback', record: ServiceRecord, rollout: RolloutRecord, reason: string }
  /** Too many updated slots failed and the spec says pause (or this is already a rollback). */
  | { action: 'pause', rollout: RolloutRecord, reason: string }
  /** Every slot runs the target generation. */
  | { action: 'complete', rollout: RolloutRecord }
  /** The next slots to move. */
  | { action: 'batch', rollout: RolloutRecord, slots: number[] }
  /** Nothing to start yet; the record carries the failures counted so far. */
  | { action: 'wait', rollout: RolloutRecord }

const FAILED_STATES = new Set<ReplicaRecord['state']>(['exited', 'failed', 'unhealthy'])

/** The services whose rolling updates this node coordinates now. */
export function coordinatedRollouts (view: ClusterView): string[] {
  return Object.entries(view.services)
    .filter(([name, record]) => {
      const rollout = view.rollouts[name]
      return inProgress(record, rollout) && rollout.phase === 'rolling' && coordinatorOf(view, name) === view.self
    })
    .map(([name]) => name)
}

/** The next step of a rollout in progress over the placed `slots` of its service. */
export function rolloutStep (view: ClusterView, record: ServiceRecord, rollout: RolloutRecord, slots: readonly number[]): RolloutStep {
  const { now } = view
  const update = resolveUpdate(record.spec)
  const { replicas, failedSlots } = replicasOfGeneration(view, record.spec.name, rollout)

  const failed = new Set(rollout.failed)
  const placed = new Set(slots)
  let inFlight = 0
  // Slots scaled away or unplaced since they were moved no longer count.
  for (const slot of rollout.updated) {
    if (!placed.has(slot) || failed.has(slot)) continue
    const records = replicas.get(slot) ?? []
    const healthy = records.find((r) => r.state === 'healthy')
    // Healthy for `monitor`, or already healthy on this generation before the rollout began.
    if (healthy !== undefined && (now - healthy.updatedAt >= update.monitorMs || healthy.updatedAt < rollout.startedAt)) continue
    // A failed state seen now, or a replica of this generation replaced since the rollout began.
    if (healthy === undefined && (failedSlots.has(slot) || records.some((r) => FAILED_STATES.has(r.state)))) {
      failed.add(slot)
      continue
    }
    inFlight++
  }

  const next: RolloutRecord = { ...rollout, failed: [...failed].sort((a, b) => a - b), failures: failed.size }
  const tooMany = failed.size > update.maxFailureRatio * Math.max(1, slots.length) && update.failureAction !== 'continue'
  if (tooMany) {
    const reason = `${failed.size} of ${slots.length} updated replicas failed`
    const back = update.failureAction === 'rollback' && rollout.rollback !== true ? rollbackOf(record, rollout, slots, now, reason) : undefined
    if (back !== undefined) return { action: 'rollback', ...back, reason }
    return { action: 'pause', rollout: { ...next, phase: 'paused', reason, updatedAt: now }, reason }
  }

  const updated = new Set(rollout.updated)
  const waiting = slots.filter((slot) => !updated.has(slot))
  if (waiting.length === 0 && inFlight === 0) {
    return { action: 'complete', rollout: { ...next, phase: rollout.rollback === true ? 'rolled-back' : 'completed', updatedAt: now } }
  }
  const room = update.parallelism - inFlight
  const due = rollout.batchAt === undefined || now - rollout.batchAt >= update.delayMs
  if (room > 0 && waiting.length > 0 && due) {
    const batch = waiting.slice(0, room)
    return { action: 'batch', rollout: { ...next, updated: [...rollout.updated, ...batch], batchAt: now, updatedAt: now }, slots: batch }
  }
  return { action: 'wait', rollout: next }
}

/**
 * The service's replicas of the rollout's generation on members not dead, by slot; and
 * the slots whose replica of that generation failed since the rollout began (it shows
 * only as the slot record's lastFailure while an old replica still serves the slot).
 */
function replicasOfGeneration (view: ClusterView, service: string, rollout: RolloutRecord): { replicas: Map<number, ReplicaRecord[]>, failedSlots: Set<number> } {
  const replicas = new Map<number, ReplicaRecord[]>()
  const failedSlots = new Set<number>()
  for (const { nodeId, replica } of view.replicas) {
    if (replica.service !== service || !notDead(view, nodeId)) continue
    const failure = replica.lastFailure
    if (failure?.generation === rollout.generation && failure.at >= rollout.startedAt) failedSlots.add(replica.slot)
    if (replica.generation !== rollout.generation) continue
    replicas.set(replica.slot, [...(replicas.get(replica.slot) ?? []), replica])
  }
  return { replicas, failedSlots }
}
