// The routing mesh's routes: every published port of every service, to the healthy
// replicas on members that are not dead.

import type { ReplicaRecord } from '../../crdt/index.ts'
import type { Route } from '../../proxy/index.ts'
import { notDead } from './view.ts'
import type { ClusterView } from './view.ts'

/** Routes for every published port, in service name order. */
export function meshRoutes (view: ClusterView): Route[] {
  const serving = new Map<string, ReplicaRecord[]>()
  for (const { nodeId, replica } of view.replicas) {
    if (replica.state !== 'healthy' || !notDead(view, nodeId)) continue
    serving.set(replica.service, [...(serving.get(replica.service) ?? []), replica])
  }
  const routes: Route[] = []
  const services = Object.values(view.services).sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1))
  for (const { spec } of services) {
    for (const port of spec.ports) {
      const endpoints = new Set<string>()
      for (const replica of serving.get(spec.name) ?? []) {
        const endpoint = replica.ports.find((p) => p.target === port.target)?.endpoint
        if (endpoint !== undefined && endpoint !== '') endpoints.add(endpoint)
      }
      routes.push({ service: spec.name, published: port.published, endpoints: [...endpoints].sort(), ...(port.proxyProtocol === true ? { proxyProtocol: true } : {}) })
    }
  }
  return routes
}
