// The reconciler's decision, as a pure function returning buckets (Nomad's
// scheduler/reconciler): which slots to start, which containers to stop and why,
// which to keep, and which slots wait out a backoff. No I/O, no clock of its own.

import type { ReplicaState } from '../../crdt/index.ts'
import { byText } from '../../placement/index.ts'
import type { DesiredSlot } from '../cluster/index.ts'
import { DATA_RECHECK_MS, STOP_FIRST_RECHECK_MS } from './constants.ts'

/** A container of this node as the reconciler tracks it (or a start still in flight). */
export interface TrackedReplica {
  id: string
  key: string
  service: string
  slot: number
  generation: number
  state: ReplicaState
  /** The spec it was built from (absent on containers of older versions: taken as matching). */
  specHash?: string
  /** A start in flight has no container to stop yet. */
  pending?: boolean
}

export interface PlanInput {
  desired: DesiredSlot[]
  replicas: TrackedReplica[]
  now: number
  /** Slot key → earliest time a new start may be tried (crash-loop backoff). */
  retryAt: ReadonlyMap<string, number>
  /** Keys of slots placed elsewhere whose live replica stays until the new owner's is healthy (make-before-break). */
  hold?: (key: string) => boolean
  /** Keys of slots with a replica still being stopped: a stop-first start waits for it. */
  stopping?: ReadonlySet<string>
}

export type StopReason = 'exited' | 'unhealthy' | 'failed' | 'duplicate' | 'superseded' | 'not-desired' | 'handed-off'

export interface Plan {
  start: DesiredSlot[]
  stop: Array<{ replica: TrackedReplica, reason: StopReason }>
  keep: TrackedReplica[]
  waiting: Array<{ slot: DesiredSlot, until: number }>
}

const LIVE: ReadonlySet<ReplicaState> = new Set(['starting', 'running', 'healthy'])
const RANK: Record<ReplicaState, number> = { healthy: 3, running: 2, starting: 1, unhealthy: 0, exited: 0, failed: 0 }

/** True when a replica counts towards its slot: starting, running or healthy. */
export function isLive (replica: TrackedReplica): boolean {
  return LIVE.has(replica.state)
}

/** Computes what to start, stop and keep so that each desired slot runs one live replica of its generation. */
export function plan (input: PlanInput): Plan {
  const result: Plan = { start: [], stop: [], keep: [], waiting: [] }
  const byKey = groupByKey(input.replicas)

  for (const slot of input.desired) {
    planSlot(slot, byKey.get(slot.key) ?? [], input, result)
    byKey.delete(slot.key)
  }
  for (const [key, replicas] of byKey) {
    const held = input.hold?.(key) === true
    for (const replica of replicas) {
      if (held && isLive(replica)) result.keep.push(replica)
      else stopUnlessPending(result, replica, input.hold === undefined ? 'not-desired' : isLive(replica) ? 'handed-off' : 'exited')
    }
  }
  return result
}

function planSlot (slot: DesiredSlot, replicas: TrackedReplica[], input: PlanInput, result: Plan): void {
  if (slot.finished === true) {
    result.keep.push(...replicas)
    return
  }
  const current: TrackedReplica[] = []
  const others: TrackedReplica[] = []
  for (const replica of replicas) {
    if (!isLive(replica)) {
      stopUnlessPending(result, replica, replica.state === 'unhealthy' ? 'unhealthy' : replica.state === 'failed' ? 'failed' : 'exited')
    } else if (replica.generation === slot.generation && (replica.specHash === undefined || slot.specHash === undefined || replica.specHash === slot.specHash)) {
      current.push(replica)
    } else {
      others.push(replica)
    }
  }

  current.sort(byPreference)
  const [best, ...duplicates] = current
  for (const duplicate of duplicates) stopUnlessPending(result, duplicate, 'duplicate')

  if (best === undefined && slot.stopFirst === true && (others.length > 0 || input.stopping?.has(slot.key) === true)) {
    for (const other of others) stopUnlessPending(result, other, 'superseded')
    result.waiting.push({ slot, until: input.now + STOP_FIRST_RECHECK_MS })
    return
  }
  if (best === undefined && slot.data?.waitFor !== undefined) {
    // Its data is still with the node it comes from: the document says when it is released.
    result.waiting.push({ slot, until: input.now + DATA_RECHECK_MS })
  } else if (best === undefined) {
    const until = input.retryAt.get(slot.key) ?? 0
    if (until > input.now) result.waiting.push({ slot, until })
    else result.start.push(slot)
  } else {
    result.keep.push(best)
  }

  // Start-first: a replica of another generation serves until the new one is healthy.
  for (const other of others) {
    if (best?.state === 'healthy') stopUnlessPending(result, other, 'superseded')
    else result.keep.push(other)
  }
}

function stopUnlessPending (result: Plan, replica: TrackedReplica, reason: StopReason): void {
  if (replica.pending === true) result.keep.push(replica)
  else result.stop.push({ replica, reason })
}

function byPreference (a: TrackedReplica, b: TrackedReplica): number {
  return (RANK[b.state] - RANK[a.state]) || (Number(a.pending === true) - Number(b.pending === true)) || byText(a.id, b.id)
}

function groupByKey (replicas: TrackedReplica[]): Map<string, TrackedReplica[]> {
  const groups = new Map<string, TrackedReplica[]>()
  for (const replica of replicas) {
    const group = groups.get(replica.key)
    if (group === undefined) groups.set(replica.key, [replica])
    else group.push(replica)
  }
  return groups
}
