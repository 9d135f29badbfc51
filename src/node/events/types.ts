// The vocabulary of cluster events: what happened, to what, where and when. The kinds
// are fixed strings (the dashboard and scripts match on them); an event is a plain
// JSON object so it crosses the SSE stream and the member-to-member route unchanged.

/** Every kind of event, as `event:` names it on the stream. */
export const EVENT_KINDS = [
  'service.deployed', 'service.updated', 'service.scaled', 'service.autoscaled', 'service.removed',
  'replica.started', 'replica.healthy', 'replica.unhealthy', 'replica.failed', 'replica.stopped', 'replica.moved',
  'member.alive', 'member.suspect', 'member.dead', 'node.drained', 'node.undrained',
  'rollout.started', 'rollout.progress', 'rollout.done', 'rollout.rolledback', 'rollout.paused',
  'alert.firing', 'alert.resolved', 'cert.issued', 'cert.failed'
] as const

export type EventKind = typeof EVENT_KINDS[number]

/** What a part hands to `emit`: the kind, the object it concerns, a one-line message, and fields of its own. */
export interface EventInput {
  kind: EventKind
  service?: string
  slot?: number
  /** The member (node name) a member or node event concerns. */
  member?: string
  message: string
  /** replica.failed: the container's exit code. */
  exitCode?: number
  /** replica.moved: the node the slot's previous replica ran on. */
  from?: string
  /** member.*: the member's incarnation (its node record's startedAt, as this observer read it). */
  incarnation?: number
  [field: string]: unknown
}

/** An event as a node keeps and serves it: stamped with its per-node id, time (ms) and node name. */
export interface MeshEvent extends EventInput {
  /** Increasing per node, from 1 at its start. */
  id: number
  /** When it happened (ms since the epoch). */
  time: number
  /** The node that saw it. */
  node: string
}

/** What the parts of a node are given: the one call they need. */
export interface Events {
  emit: (input: EventInput) => void
}

/** Events that go nowhere: the default of a part built without a bus (tests). */
export const noEvents: Events = { emit: () => {} }

/** Which events a reader wants: one service's, and none older than `since` (ms since the epoch). */
export interface EventFilter {
  service?: string
  since?: number
}

/** True when `event` passes `filter`; an event without a service passes no service filter. */
export function matches (event: MeshEvent, filter: EventFilter): boolean {
  if (filter.service !== undefined && event.service !== filter.service) return false
  return filter.since === undefined || event.time >= filter.since
}
