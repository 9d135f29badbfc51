// The ingress's routes on this node: every service's ingress rules with the endpoints
// the mesh would use for that port (healthy replicas on members not dead; this node's
// directly, another node's through its mesh port). Two services that claim one host
// and path (written on two nodes at once) are settled alike everywhere: the older
// service keeps it.

import type { IngressRule, ServiceRecord } from '../../crdt/index.ts'
import { endpointOf, servingReplicas } from './routes.ts'
import type { ClusterView } from './view.ts'

/** One host and path prefix of the ingress, and where its requests go. */
export interface IngressRoute extends IngressRule {
  service: string
  /** "ip:port" or "mesh://host:port/service/slot/port", sorted; empty when no replica is healthy. */
  endpoints: string[]
}

/** Every ingress route of the view, one per host and path, in host then path order. */
export function ingressRoutes (view: ClusterView): IngressRoute[] {
  const serving = servingReplicas(view)
  const byKey = new Map<string, { route: IngressRoute, record: ServiceRecord }>()
  for (const record of Object.values(view.services)) {
    for (const rule of record.spec.ingress ?? []) {
      const key = `${rule.host}${rule.path}`
      const held = byKey.get(key)
      if (held !== undefined && !older(record, held.record)) continue
      const endpoints = [...new Set((serving.get(record.spec.name) ?? [])
        .map((s) => endpointOf(view, s, rule.port))
        .filter((e): e is string => e !== undefined))].sort()
      byKey.set(key, { route: { ...rule, service: record.spec.name, endpoints }, record })
    }
  }
  return [...byKey.values()].map((v) => v.route)
    .sort((a, b) => a.host < b.host ? -1 : a.host > b.host ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
}

function older (a: ServiceRecord, b: ServiceRecord): boolean {
  return a.createdAt !== b.createdAt ? a.createdAt < b.createdAt : a.spec.name < b.spec.name
}
