// Rolling updates and rollbacks (DESIGN.md, Rollouts). A spec change writes the new
// generation and a rollout record in one transaction; every slot keeps running the
// generation it comes from until the rollout moves it. Each service has a coordinator,
// the top-ranked member not dead for the service's name: it moves `parallelism` slots at
// a time, waits until their new replicas have been healthy for `monitor`, then takes
// the next batch, and on too many failures rolls back (or pauses) as the spec says. Its
// progress lives in the document, so when it dies the next coordinator resumes.

import type { ClusterDocument, Logger, ReplicaRecord, RolloutRecord, ServiceRecord, ServiceSpec, UpdateSpec } from '../crdt/index.ts'
import { hash32 } from '../placement/hash.ts'
import type { Placement } from '../placement/index.ts'
import type { MemberState } from './reconciler/placement.ts'
import { parseDuration } from './spec/index.ts'

export const UPDATE_DEFAULTS = {
  parallelism: 1,
  delay: '0s',
  order: 'start-first',
  failureAction: 'rollback',
  monitor: '1s',
  maxFailureRatio: 0
} as const satisfies Required<UpdateSpec>

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
  const back: ServiceRecord = { ...record, spec, generation: previous.generation, previous: { spec: record.spec, generation: record.generation }, updatedAt: now }
  const moved = inProgress(record, rollout) && rollout.from === previous.generation ? new Set(rollout.updated) : undefined
  const already = moved === undefined ? [] : slots.filter((slot) => !moved.has(slot))
  return { record: back, rollout: newRollout(back, record.generation, now, { rollback: true, updated: already, reason }) }
}

/** The coordinator of a service: the member not dead that ranks first for its name. */
export function coordinatorOf (service: string, members: readonly string[], self: string, memberState: (id: string) => MemberState): string | undefined {
  let best: string | undefined
  let bestScore = -1
  for (const id of members) {
    if (id !== self && memberState(id) === 'dead') continue
    const score = hash32(`${service}\u0000${id}`)
    if (score > bestScore || (score === bestScore && best !== undefined && id < best)) {
      best = id
      bestScore = score
    }
  }
  return best
}

export interface RolloutDriverInit {
  document: ClusterDocument
  self: string
  memberState: (id: string) => MemberState
  placement: () => Placement
  log: Logger
  tickMs?: number
}

const FAILED_STATES = new Set<ReplicaRecord['state']>(['exited', 'failed', 'unhealthy'])

/** Runs on every node; advances the rollouts of the services this node coordinates. */
export class RolloutDriver {
  private readonly init: RolloutDriverInit
  private timer: NodeJS.Timeout | undefined

  constructor (init: RolloutDriverInit) {
    this.init = init
  }

  start (): void {
    this.init.document.on('change', this.onChange)
    this.timer = setInterval(() => { this.tick() }, this.init.tickMs ?? 250)
  }

  stop (): void {
    this.init.document.off('change', this.onChange)
    clearInterval(this.timer)
  }

  private readonly onChange = (change: { services: boolean, replicas: boolean, rollouts: boolean }): void => {
    if (change.services || change.replicas || change.rollouts) this.tick()
  }

  /** One pass over every rollout in progress that this node coordinates. */
  tick (now = Date.now()): void {
    const { document, self, memberState } = this.init
    const members = Object.keys(document.nodes())
    let placement: Placement | undefined
    for (const [name, record] of Object.entries(document.services())) {
      const rollout = document.rollout(name)
      if (!inProgress(record, rollout) || rollout.phase !== 'rolling') continue
      if (coordinatorOf(name, members, self, memberState) !== self) continue
      placement ??= this.init.placement()
      const slots = placement.assignments.filter((a) => a.service === name).map((a) => a.slot).sort((a, b) => a - b)
      this.advance(record, rollout, slots, now)
    }
  }

  private advance (record: ServiceRecord, rollout: RolloutRecord, slots: number[], now: number): void {
    const { document, memberState, self, log } = this.init
    const name = record.spec.name
    const update = resolveUpdate(record.spec)
    const replicas = new Map<number, ReplicaRecord[]>()
    // A replica of the new generation that failed while an old one still serves its slot
    // shows only as the slot record's lastFailure.
    const failedSlots = new Set<number>()
    for (const { nodeId, replica } of document.replicas()) {
      if (replica.service !== name || (nodeId !== self && memberState(nodeId) === 'dead')) continue
      const failure = replica.lastFailure
      if (failure?.generation === rollout.generation && failure.at >= rollout.startedAt) failedSlots.add(replica.slot)
      if (replica.generation !== rollout.generation) continue
      replicas.set(replica.slot, [...(replicas.get(replica.slot) ?? []), replica])
    }

    const failed = new Set(rollout.failed)
    const placed = new Set(slots)
    let inFlight = 0
    // Slots scaled away or unplaced since they were moved no longer count.
    for (const slot of rollout.updated) {
      if (!placed.has(slot)) continue
      if (failed.has(slot)) continue
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
      if (back !== undefined) {
        log.warn({ service: name, generation: rollout.generation, reason }, 'update failed: rolling back')
        document.transact(() => {
          document.putService(name, back.record)
          document.putRollout(name, back.rollout)
        })
        return
      }
      log.warn({ service: name, generation: rollout.generation, reason }, 'update paused')
      this.write(name, rollout, { ...next, phase: 'paused', reason, updatedAt: now })
      return
    }

    const updated = new Set(rollout.updated)
    const waiting = slots.filter((slot) => !updated.has(slot))
    if (waiting.length === 0 && inFlight === 0) {
      log.info({ service: name, generation: rollout.generation, failures: failed.size }, rollout.rollback === true ? 'rollback completed' : 'update completed')
      this.write(name, rollout, { ...next, phase: rollout.rollback === true ? 'rolled-back' : 'completed', updatedAt: now })
      return
    }
    const room = update.parallelism - inFlight
    const due = rollout.batchAt === undefined || now - rollout.batchAt >= update.delayMs
    if (room > 0 && waiting.length > 0 && due) {
      const batch = waiting.slice(0, room)
      log.info({ service: name, generation: rollout.generation, slots: batch }, 'updating slots')
      this.write(name, rollout, { ...next, updated: [...rollout.updated, ...batch], batchAt: now, updatedAt: now })
      return
    }
    this.write(name, rollout, next)
  }

  /** Writes the rollout when something other than its timestamp changed. */
  private write (name: string, before: RolloutRecord, after: RolloutRecord): void {
    const { updatedAt: _a, ...a } = before
    const { updatedAt: _b, ...b } = after
    if (JSON.stringify(a) === JSON.stringify(b)) return
    this.init.document.putRollout(name, after)
  }
}
