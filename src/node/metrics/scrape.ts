// What one scrape reports, taken at once from the node's state: the services and
// members as this node's view has them, this node's mesh and gossip counters, and the
// usage of this node's replicas. Pure but for the cgroup reads of `replicaUsage`.

import type { RolloutRecord } from '../../crdt/index.ts'
import type { GossipStats, MemberState } from '../../gossip/index.ts'
import type { ServiceStats } from '../../proxy/index.ts'
import { notDead, placeCluster, stateOf } from '../cluster/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import type { IngressRouteStats, IngressStats } from '../ingress/index.ts'
import type { Buckets } from './buckets.ts'
import { readUsage } from './usage.ts'

export interface ServiceSample {
  service: string
  /** As GET /v1/services/NAME's status: the spec's replicas, or the placed slots of a global service. */
  desired: number
  /** Replicas whose container runs (running, healthy or unhealthy) on members not dead. */
  running: number
  /** Healthy replicas on members not dead (status.healthy). */
  healthy: number
  /** Replicas of it that failed on this node since its daemon started. */
  restarts: number
  rollout?: RolloutRecord['phase']
}

export interface ReplicaSample {
  service: string
  slot: number
  container: string
  cpuSeconds: number
  memoryBytes: number
}

export interface Scrape {
  services: ServiceSample[]
  mesh: ServiceStats[]
  /** This node's ingress: per-route counters, and requests no route matched. */
  ingress: { routes: IngressRouteStats[], unrouted: number }
  members: Record<MemberState, number>
  gossip: GossipStats
  documentBytes: number
  reconcile: Buckets
  replicas: ReplicaSample[]
}

/** Where a scrape reads from (the daemon's parts). */
export interface MetricsSources {
  view: () => ClusterView
  /** This node's mesh counters per service (the proxy's stats). */
  mesh: () => { services: ServiceStats[] }
  /** This node's ingress counters; absent: none. */
  ingress?: () => Pick<IngressStats, 'routes' | 'unrouted'>
  gossip: () => GossipStats
  /** The encoded size of the cluster document. */
  documentBytes: () => number
  /** Replicas of each service that failed on this node (the reconciler's count). */
  failures: () => ReadonlyMap<string, number>
  /** Durations of the reconcile loop's ticks (s). */
  reconcile: Buckets
  /** Where cgroups are mounted (tests). */
  cgroupRoot?: string
}

const RUNNING = new Set(['running', 'healthy', 'unhealthy'])

/** Every service's replica counts and rollout phase as `view` has them. */
export function serviceSamples (view: ClusterView, failures: ReadonlyMap<string, number>): ServiceSample[] {
  const records = Object.values(view.services)
  const placement = records.some((r) => r.spec.mode === 'global') ? placeCluster(view) : undefined
  return records.map((record) => {
    const name = record.spec.name
    const live = view.replicas.filter(({ nodeId, replica }) => replica.service === name && notDead(view, nodeId))
    const rollout = view.rollouts[name]?.phase
    return {
      service: name,
      desired: record.spec.mode === 'global' ? placement?.assignments.filter((a) => a.service === name).length ?? 0 : record.spec.replicas,
      running: live.filter(({ replica }) => RUNNING.has(replica.state)).length,
      healthy: live.filter(({ replica }) => replica.state === 'healthy').length,
      restarts: failures.get(name) ?? 0,
      ...(rollout === undefined ? {} : { rollout })
    }
  }).sort((a, b) => a.service < b.service ? -1 : a.service > b.service ? 1 : 0)
}

/** Members of the view by the failure detector's verdict. */
export function memberCounts (view: ClusterView): Record<MemberState, number> {
  const counts: Record<MemberState, number> = { alive: 0, suspect: 0, dead: 0 }
  for (const id of Object.keys(view.nodes)) counts[stateOf(view, id)]++
  return counts
}

/** This node's replicas with a container, and their usage read from their cgroups now. */
export async function replicaUsage (view: ClusterView, cgroupRoot?: string): Promise<ReplicaSample[]> {
  const mine = view.replicas.filter(({ nodeId, replica }) => nodeId === view.self && replica.container !== '' && RUNNING.has(replica.state))
  const read = await Promise.all(mine.map(async ({ replica }) => ({ replica, usage: await readUsage(replica.container, cgroupRoot) })))
  return read.flatMap(({ replica, usage }) => usage === undefined
    ? []
    : [{ service: replica.service, slot: replica.slot, container: replica.container.slice(0, 12), ...usage }])
}

/** One scrape of every source. */
export async function scrape (sources: MetricsSources): Promise<Scrape> {
  const view = sources.view()
  return {
    services: serviceSamples(view, sources.failures()),
    mesh: sources.mesh().services,
    ingress: sources.ingress?.() ?? { routes: [], unrouted: 0 },
    members: memberCounts(view),
    gossip: sources.gossip(),
    documentBytes: sources.documentBytes(),
    reconcile: sources.reconcile,
    replicas: await replicaUsage(view, sources.cgroupRoot)
  }
}
