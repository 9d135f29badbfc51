// Whether a rule's condition holds, and for what: a pure function of the cluster view and
// the samples the coordinator gathered (replica CPU, mesh counters, the failures it has
// seen). A condition whose samples are missing is unknown, and the state stays as it is.

import type { AlertInstance } from '../../crdt/index.ts'
import { byText } from '../../placement/index.ts'
import { notDead, placeCluster, placedSlots, stateOf } from '../cluster/index.ts'
import type { ClusterView } from '../cluster/index.ts'
import type { AlertRule } from '../spec/index.ts'

/** A condition's verdict: active with the instances it holds for, or unknown (why). */
export interface Evaluation {
  active: boolean
  instances: AlertInstance[]
  unknown?: string
}

/** One replica's CPU share, in % of one core (metrics/ ReplicaStats). */
export interface CpuSample { service: string, slot: number, node: string, cpuPercent: number }

/** A service's mesh traffic since the previous sample: connections and the ones that failed. */
export interface TrafficSample { service: string, connections: number, errors: number }

/** What the coordinator gathered besides the view; absent fields make their rules unknown. */
export interface AlertSamples {
  cpu?: CpuSample[]
  traffic?: TrafficSample[]
  /** When each slot's replicas failed ("service#slot" → times, ms), as observed (failures.ts). */
  failures?: Record<string, number[]>
}

const inScope = (rule: { service?: string }, service: string): boolean => rule.service === undefined || rule.service === service

/** The rule's verdict over `view` and `samples`; instances sorted by their labels. */
export function evaluateRule (rule: AlertRule, view: ClusterView, samples: AlertSamples = {}): Evaluation {
  const instances = instancesOf(rule, view, samples)
  if (typeof instances === 'string') return { active: false, instances: [], unknown: instances }
  instances.sort((a, b) => byText(labelKey(a.labels), labelKey(b.labels)))
  return { active: instances.length > 0, instances }
}

function instancesOf (rule: AlertRule, view: ClusterView, samples: AlertSamples): AlertInstance[] | string {
  switch (rule.kind) {
    case 'node.dead':
      return Object.entries(view.nodes).filter(([id]) => stateOf(view, id) === 'dead').map(([, node]) => ({ labels: { node: node.name } }))
    case 'service.unhealthy':
      return unhealthyServices(rule, view)
    case 'replica.restarts': {
      if (samples.failures === undefined) return 'no failures observed yet'
      const since = view.now - rule.windowMs
      return Object.entries(samples.failures).flatMap(([key, times]) => {
        const [service = '', slot = ''] = key.split('#')
        const count = times.filter((at) => at > since).length
        return inScope(rule, service) && count > rule.above ? [{ labels: { service, slot }, value: count }] : []
      })
    }
    case 'replica.cpu': {
      if (samples.cpu === undefined) return 'no CPU samples'
      return samples.cpu.flatMap((sample) => {
        const record = view.services[sample.service]
        if (record === undefined || !inScope(rule, sample.service)) return []
        // A share of the replica's CPU limit when it has one, else of one core.
        const limit = record.spec.resources?.limits?.cpus ?? 1
        const percent = Math.round(sample.cpuPercent / limit * 10) / 10
        return percent > rule.abovePercent ? [{ labels: { service: sample.service, slot: String(sample.slot), node: sample.node }, value: percent }] : []
      })
    }
    case 'service.errors': {
      if (samples.traffic === undefined) return 'no mesh counters'
      return samples.traffic.flatMap((sample) => {
        if (!inScope(rule, sample.service) || sample.connections === 0) return []
        const percent = Math.round(sample.errors / sample.connections * 1000) / 10
        return percent > rule.abovePercent ? [{ labels: { service: sample.service }, value: percent }] : []
      })
    }
  }
}

// Healthy: distinct slots with a healthy replica on a member not dead (running, for a
// service without a health check); desired: the spec's count, or the slots placed (global).
function unhealthyServices (rule: { service?: string }, view: ClusterView): AlertInstance[] {
  const healthy = new Map<string, Set<number>>()
  for (const { nodeId, replica } of view.replicas) {
    const record = view.services[replica.service]
    if (record === undefined || !notDead(view, nodeId)) continue
    const ok = replica.state === 'healthy' || (replica.state === 'running' && record.spec.health === undefined)
    if (!ok) continue
    const slots = healthy.get(replica.service) ?? new Set<number>()
    slots.add(replica.slot)
    healthy.set(replica.service, slots)
  }
  const placement = Object.values(view.services).some((r) => r.spec.mode === 'global') ? placeCluster(view) : undefined
  return Object.values(view.services).flatMap((record) => {
    const name = record.spec.name
    if (!inScope(rule, name)) return []
    const desired = record.spec.mode === 'global' && placement !== undefined ? placedSlots(placement, name).length : record.spec.replicas
    const count = healthy.get(name)?.size ?? 0
    return count < desired ? [{ labels: { service: name }, value: count }] : []
  })
}

/** Labels as one comparable text: "node=a,service=b". */
export function labelKey (labels: Record<string, string>): string {
  return Object.keys(labels).sort(byText).map((key) => `${key}=${labels[key]}`).join(',')
}
