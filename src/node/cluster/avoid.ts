// Crash loops: a node where a service's replicas keep failing asks placement to put the
// service elsewhere for a while (NodeRecord.avoid); placement honours it in avoiding().

import type { NodeRecord } from '../../crdt/index.ts'
import { AVOID_MS } from './constants.ts'

/**
 * The node's record with `service` avoided until now + AVOID_MS and expired entries
 * dropped; undefined when the record already avoids it for at least half that long
 * (so a crash loop does not rewrite the record on every failure).
 */
export function avoidService (record: NodeRecord, service: string, now: number): NodeRecord | undefined {
  if ((record.avoid?.[service] ?? 0) > now + AVOID_MS / 2) return undefined
  const avoid = Object.fromEntries(Object.entries(record.avoid ?? {}).filter(([, until]) => until > now))
  return { ...record, avoid: { ...avoid, [service]: now + AVOID_MS } }
}

/** The services a node still passes over at `now`, sorted. */
export function avoidedServices (record: NodeRecord, now: number): string[] {
  return Object.entries(record.avoid ?? {}).filter(([, until]) => until > now).map(([service]) => service).sort()
}
