// The routing mesh's routes on this node: for every port of every service, a listener on
// the service's address (reached by name from other services) and on each slot's
// address, and — for a published port — one on the node's own address, from outside.
// Endpoints are the healthy replicas on members that are not dead: this node's by their
// container address, another node's through that node's mesh port.

import type { NodeRecord, ReplicaRecord, ServiceRecord } from '../../crdt/index.ts'
import type { Route } from '../../proxy/index.ts'
import { serviceAddresses } from './addresses.ts'
import { WAKE_HOLD_MS } from './constants.ts'
import type { ServiceAddresses, ServiceRange } from './addresses.ts'
import { notDead } from './view.ts'
import type { ClusterView } from './view.ts'

/** What of this node the routes need: its replica network's service range, once known. */
export interface LocalNetwork { range: ServiceRange }

/** A healthy replica on a member not dead: what a route may send to. */
export interface Serving { nodeId: string, replica: ReplicaRecord }

/** Every route of this node, in service name order. */
export function meshRoutes (view: ClusterView, local?: LocalNetwork): Route[] {
  const serving = servingReplicas(view)
  const addresses = local === undefined ? new Map<string, ServiceAddresses>() : serviceAddresses(view.services, local.range)
  const routes: Route[] = []
  for (const record of Object.values(view.services).sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1))) {
    routes.push(...routesOf(view, record, serving.get(record.spec.name) ?? [], addresses.get(record.spec.name)))
  }
  return routes
}

function routesOf (view: ClusterView, record: ServiceRecord, serving: Serving[], addresses: ServiceAddresses | undefined): Route[] {
  const { spec } = record
  const policy = {
    ...(spec.allowFrom === undefined ? {} : { allowFrom: spec.allowFrom }),
    ...(spec.policy === undefined ? {} : { policy: spec.policy }),
    // An autoscaled service that may be at zero: a new connection waits for its first replica.
    ...(spec.autoscale?.min === 0 ? { holdMs: WAKE_HOLD_MS } : {})
  }
  const routes: Route[] = []
  const targets = new Set<number>()
  for (const port of spec.ports) {
    const endpoints = (only?: number): string[] => [...new Set(serving
      .filter((s) => only === undefined || s.replica.slot === only)
      .map((s) => endpointOf(view, s, port.target))
      .filter((e): e is string => e !== undefined))].sort()
    const common = { service: spec.name, ...(port.proxyProtocol === true ? { proxyProtocol: true } : {}), ...policy }
    if (port.published !== undefined) routes.push({ ...common, published: port.published, endpoints: endpoints() })
    // The service's address listens on each target once, as its first port says.
    if (addresses === undefined || targets.has(port.target)) continue
    targets.add(port.target)
    routes.push({ ...common, published: port.target, address: addresses.address, endpoints: endpoints() })
    for (const [slot, address] of addresses.slots) routes.push({ ...common, published: port.target, address, endpoints: endpoints(slot) })
  }
  return routes
}

/** Service → its healthy replicas on members not dead. */
export function servingReplicas (view: ClusterView): Map<string, Serving[]> {
  const serving = new Map<string, Serving[]>()
  for (const { nodeId, replica } of view.replicas) {
    if (replica.state !== 'healthy' || !notDead(view, nodeId)) continue
    serving.set(replica.service, [...(serving.get(replica.service) ?? []), { nodeId, replica }])
  }
  return serving
}

/** Where this node reaches a replica's port: directly when it is its own, else through the replica's node's mesh port. */
export function endpointOf (view: ClusterView, { nodeId, replica }: Serving, target: number): string | undefined {
  const own = replica.ports.find((p) => p.target === target)?.endpoint
  if (nodeId === view.self) return own === '' ? undefined : own
  const node: NodeRecord | undefined = view.nodes[nodeId]
  // A node from before mesh hops: its replicas were published on its address.
  if (node?.meshPort === undefined) return own === '' ? undefined : own
  return `mesh://${node.host}:${node.meshPort}/${replica.service}/${replica.slot}/${target}`
}

/** This node's replica behind `service`, `slot` (any healthy one when undefined) and `port`, as "ip:port": what the mesh port relays a hop to. */
export function localTarget (view: ClusterView, service: string, slot: number | undefined, port: number): string | undefined {
  const candidates = view.replicas.filter(({ nodeId, replica }) =>
    nodeId === view.self && replica.service === service && replica.state === 'healthy' && (slot === undefined || replica.slot === slot))
  const endpoints = candidates.map(({ replica }) => replica.ports.find((p) => p.target === port)?.endpoint).filter((e): e is string => e !== undefined && e !== '')
  return endpoints[0]
}

/** Address → service of this node's replicas: who is connecting, for network policy. */
export function localSources (view: ClusterView): Map<string, string> {
  const sources = new Map<string, string>()
  for (const { nodeId, replica } of view.replicas) {
    if (nodeId === view.self && replica.address !== undefined && replica.address !== '') sources.set(replica.address, replica.service)
  }
  return sources
}
