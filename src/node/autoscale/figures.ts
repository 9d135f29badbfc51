// The cluster-wide figures of each autoscaled service, from the members' counters: new
// connections per second and CPU shares are deltas over each counter's own interval (a
// member that missed a round is divided by the longer time, not counted twice); open
// connections are as they stand. A counter that went down (its daemon or container
// restarted) counts from zero.

import type { AutoscaleMetrics, ServiceRecord } from '../../crdt/index.ts'
import { notDead } from '../cluster/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import type { MemberSample } from '../metrics/index.ts'

interface Reading { at: number, value: number }

/** A counter not read again within this long is forgotten (its member or replica is gone). */
const READING_TTL_MS = 30_000

export class Figures {
  private readings = new Map<string, Reading>()

  /** Each autoscaled service's figures from the samples taken at `at`, by member id. */
  update (view: ClusterView, samples: ReadonlyMap<string, MemberSample>, at: number): Map<string, AutoscaleMetrics> {
    // A member that missed this round keeps its last readings for a while: its next delta spans both rounds.
    const next = new Map([...this.readings].filter(([, r]) => at - r.at < READING_TTL_MS))
    const rate = (key: string, value: number): number | undefined => {
      const before = this.readings.get(key)
      next.set(key, { at, value })
      if (before === undefined || at <= before.at) return undefined
      return (value >= before.value ? value - before.value : value) / ((at - before.at) / 1000)
    }
    const figures = new Map<string, AutoscaleMetrics>()
    const autoscaled = Object.entries(view.services).filter(([, record]) => record.spec.autoscale !== undefined)
    for (const [name] of autoscaled) figures.set(name, { running: running(view, name), at })
    for (const [member, sample] of samples) {
      for (const m of sample.mesh) {
        const f = figures.get(m.service)
        if (f === undefined) continue
        f.connections = (f.connections ?? 0) + m.active
        const perSecond = rate(`mesh\u0000${member}\u0000${m.service}`, m.total)
        if (perSecond !== undefined) f.requestsPerSecond = (f.requestsPerSecond ?? 0) + perSecond
      }
    }
    for (const [name, record] of autoscaled) {
      const f = figures.get(name)!
      const shares = cpuShares(name, record, samples, rate)
      if (shares.length > 0) f.cpu = shares.reduce((a, b) => a + b, 0) / shares.length
      // A service nobody connected to yet still has a figure: nothing.
      if (record.spec.autoscale!.requestsPerSecond !== undefined && f.requestsPerSecond === undefined && this.readings.size > 0) f.requestsPerSecond = 0
      if (record.spec.autoscale!.connections !== undefined) f.connections ??= 0
      for (const key of ['cpu', 'connections', 'requestsPerSecond'] as const) if (f[key] !== undefined) f[key] = Math.round(f[key] * 100) / 100
    }
    this.readings = next
    return figures
  }
}

// Each replica's CPU share over its interval, in % of what its spec limits (or reserves).
function cpuShares (name: string, record: ServiceRecord, samples: ReadonlyMap<string, MemberSample>, rate: (key: string, value: number) => number | undefined): number[] {
  const cpus = record.spec.resources?.limits?.cpus ?? record.spec.resources?.cpus
  const shares: number[] = []
  for (const [member, sample] of samples) {
    for (const r of sample.replicas) {
      if (r.service !== name) continue
      const seconds = rate(`cpu\u0000${member}\u0000${r.container}`, r.cpuSeconds)
      if (seconds !== undefined && cpus !== undefined) shares.push(seconds / cpus * 100)
    }
  }
  return shares
}

/** Replicas of the service running (or healthy) on members not dead. */
export function running (view: ClusterView, service: string): number {
  return view.replicas.filter((e) => e.replica.service === service && notDead(view, e.nodeId) && (e.replica.state === 'running' || e.replica.state === 'healthy')).length
}
