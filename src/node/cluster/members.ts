// The members of the cluster as people see them (GET /v1/nodes, `meshd node ls`).

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
