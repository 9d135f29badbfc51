// The members of the cluster as people see them (GET /v1/nodes, `meshd node ls`).

import type { NodeRecord } from '../../crdt/index.ts'
import type { MemberState } from '../../gossip/index.ts'
import { byText } from '../../placement/index.ts'
import { avoidedServices } from './avoid.ts'
import { stateOf } from './view.ts'
import type { ClusterView } from './view.ts'

export interface MemberView {
  id: string
  name: string
  host: string
  state: MemberState
  labels: Record<string, string>
  draining: boolean
  capacity?: { cpus: number, memory: number }
  /** Services whose replicas kept failing on this node, placed elsewhere for a while. */
  avoiding?: string[]
}

/** Every member with the failure detector's verdict, in name order. */
export function memberViews (view: ClusterView): MemberView[] {
  return Object.entries(view.nodes).map(([id, node]) => {
    const avoiding = avoidedServices(node, view.now)
    return {
      id, name: node.name, host: node.host, labels: node.labels,
      state: stateOf(view, id),
      draining: view.drains[id]?.draining ?? false,
      ...(node.capacity === undefined ? {} : { capacity: node.capacity }),
      ...(avoiding.length === 0 ? {} : { avoiding })
    }
  }).sort((a, b) => byText(a.name, b.name))
}

/**
 * The ports meshd itself uses on its members — API, peer-to-peer, mesh, ingress — and
 * what each is ("the API port of node node-1"): no service may publish one.
 */
export function memberPorts (nodes: Record<string, NodeRecord>): Map<number, string> {
  const ports = new Map<number, string>()
  for (const node of Object.values(nodes)) {
    const own: Array<[number | undefined, string]> = [[node.apiPort, 'the API'], [node.p2pPort, 'the peer-to-peer'], [node.meshPort, 'the mesh'], ...(node.ingressPorts ?? []).map((port): [number, string] => [port, 'an ingress'])]
    for (const [port, what] of own) if (port !== undefined) ports.set(port, `${what} port of node ${node.name}`)
  }
  return ports
}
