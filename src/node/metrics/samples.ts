// What a member tells its services' coordinators for autoscaling, through the same
// member-to-member route as `meshd top` (GET /v1/internal/stats?sample=autoscale): counters
// as they stand, never rates, so the coordinator divides its own deltas by its own clock
// and a lost answer costs a point, not a wrong figure.

import type { ProxyStats } from '../../proxy/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import { replicaUsage } from './scrape.ts'

/** One member's counters for the autoscaler. */
export interface MemberSample {
  /** CPU time of each of its replicas so far. */
  replicas: Array<{ service: string, container: string, cpuSeconds: number }>
  /**
   * Client connections of its mesh per service (hops from other nodes left out: counted
   * where they came in); and every connection with the ones that failed, for alert rules.
   */
  mesh: Array<{ service: string, total: number, active: number, connections?: number, errors?: number }>
  /** Services a connection waits for at this member (none of their replicas is live), since when (ms). */
  waiting: Array<{ service: string, since: number }>
}

export interface SampleSources {
  view: () => ClusterView
  mesh?: () => ProxyStats | undefined
  waiting?: () => Array<{ service: string, since: number }>
  cgroupRoot?: string
}

/** This member's sample, read now. */
export async function localSample (sources: SampleSources): Promise<MemberSample> {
  const usage = await replicaUsage(sources.view(), sources.cgroupRoot)
  const proxy = sources.mesh?.()
  return {
    replicas: usage.map((r) => ({ service: r.service, container: r.container, cpuSeconds: r.cpuSeconds })),
    mesh: (proxy?.services ?? []).map((s) => ({ service: s.service, total: s.clients.total, active: s.clients.active, connections: s.connections.total, errors: s.errors })),
    waiting: sources.waiting?.() ?? []
  }
}

/** True when a member's answer has a sample's shape. */
export function isMemberSample (value: unknown): value is MemberSample {
  const v = value as Record<string, unknown>
  if (typeof v !== 'object' || v === null || !Array.isArray(v.replicas) || !Array.isArray(v.mesh) || !Array.isArray(v.waiting)) return false
  const text = (x: unknown) => typeof x === 'string'
  const figure = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0
  const optional = (x: unknown) => x === undefined || figure(x)
  return v.replicas.every((r: Record<string, unknown>) => typeof r === 'object' && r !== null && text(r.service) && text(r.container) && figure(r.cpuSeconds)) &&
    v.mesh.every((m: Record<string, unknown>) => typeof m === 'object' && m !== null && text(m.service) && figure(m.total) && figure(m.active) && optional(m.connections) && optional(m.errors)) &&
    v.waiting.every((w: Record<string, unknown>) => typeof w === 'object' && w !== null && text(w.service) && figure(w.since))
}
