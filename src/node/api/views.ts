// What the API returns for services and replicas: plain views built from the document.

import type { AutoscaleStatus, ReplicaRecord, RolloutRecord, ServiceRecord, SlotFailure } from '../../crdt/index.ts'
import { byText } from '../../placement/index.ts'
import type { Placement } from '../../placement/index.ts'
import { seesSecrets } from '../auth/index.ts'
import type { Principal } from '../auth/index.ts'
import { coordinatorOf, dataOf, hasVolumes, notDead, recordVersion } from '../cluster/index.ts'
import type { ClusterView, ServiceAddresses } from '../cluster/index.ts'
import type { ServiceMeshView } from '../mesh/index.ts'
import type { ServiceCertificate } from '../certs/index.ts'

export interface ReplicaView {
  slot: number
  node: string
  nodeId: string
  state: ReplicaRecord['state']
  generation: number
  container: string
  endpoint: string
  error?: string
  lastFailure?: SlotFailure
}

export interface ServiceView extends ServiceRecord {
  /** The service's address on the node that answered, and the names its replicas reach it by. */
  address?: string
  names?: string[]
  /** Changes with every write to the service: send it back as If-Match to change it only if nobody else did. */
  version: string
  replicas: ReplicaView[]
  status: { desired: number, healthy: number, updated: number }
  /** Where each slot's volume data is (a service with volumes): the slot stays on that node until a drain moves it. */
  data?: Array<{ slot: number, node: string, nodeId: string, epoch: number, released: boolean }>
  /** Slots no node can take, and why ("0 of 3 nodes eligible: 3 failed node.labels.zone==a"). */
  unplaced: Array<{ slot: number, reason: string }>
  /** This node's routing mesh for the service: counters, and published ports it could not listen on. */
  mesh?: ServiceMeshView
  /** The last rolling update or rollback: its phase and how far it got. */
  rollout?: RolloutView
  /** An autoscaled service: the coordinator's last evaluation (`by` the member that wrote it), and which member decides now. */
  autoscale?: Partial<AutoscaleStatus> & { by?: string, coordinator?: string }
  /** Its TLS routes' certificates: state, expiry and the last issuance error (certs/). */
  certificates?: ServiceCertificate[]
}

export interface RolloutView {
  phase: RolloutRecord['phase']
  generation: number
  from: number
  rollback: boolean
  updated: number
  total: number
  failures: number
  reason?: string
  startedAt: number
  updatedAt: number
}

/** Every replica record of a service across the cluster, ordered by slot then node. */
export function replicaViews (view: ClusterView, service: string): ReplicaView[] {
  return view.replicas
    .filter(({ replica }) => replica.service === service)
    .map(({ nodeId, replica }) => ({
      slot: replica.slot,
      node: replica.node,
      nodeId,
      state: replica.state,
      generation: replica.generation,
      container: replica.container,
      endpoint: replica.endpoint,
      ...(replica.error === undefined ? {} : { error: replica.error }),
      ...(replica.lastFailure === undefined ? {} : { lastFailure: replica.lastFailure })
    }))
    .sort((a, b) => a.slot - b.slot || byText(a.node, b.node))
}

/** A service as GET /v1/services/NAME shows it. */
export function serviceView (view: ClusterView, record: ServiceRecord, placement?: Placement, mesh?: ServiceMeshView, addresses?: ServiceAddresses): ServiceView {
  const name = record.spec.name
  const replicas = replicaViews(view, name)
  // A dead node's records keep their last state; its replicas serve nobody.
  const healthy = replicas.filter((r) => r.state === 'healthy' && notDead(view, r.nodeId))
  const placed = placement?.assignments.filter((a) => a.service === name).length
  const rollout = view.rollouts[name]
  const total = record.spec.mode === 'global' ? placed ?? 0 : record.spec.replicas
  // The seal is for nodes, not people: `by` names the member that wrote it.
  const { sig: _sig, ...shown } = record
  return {
    ...shown,
    version: recordVersion(record),
    ...(addresses === undefined ? {} : { address: addresses.address, names: namesOf(name, addresses) }),
    replicas,
    ...(hasVolumes(record.spec) ? { data: dataOf(view, name) } : {}),
    unplaced: (placement?.unplaced ?? []).filter((u) => u.service === name).map((u) => ({ slot: u.slot, reason: u.reason })),
    status: {
      desired: record.spec.mode === 'global' ? placed ?? 0 : record.spec.replicas,
      healthy: healthy.length,
      updated: healthy.filter((r) => r.generation === record.generation).length
    },
    ...(mesh === undefined ? {} : { mesh }),
    ...(rollout === undefined ? {} : { rollout: rolloutView(rollout, total) }),
    ...(record.spec.autoscale === undefined ? {} : { autoscale: autoscaleView(view, name, record) })
  }
}

function memberName (view: ClusterView, id: string | undefined): string | undefined {
  return id === undefined ? undefined : view.nodes[id]?.name ?? id
}

function rolloutView (rollout: RolloutRecord, total: number): RolloutView {
  return {
    phase: rollout.phase,
    generation: rollout.generation,
    from: rollout.from,
    rollback: rollout.rollback === true,
    updated: Math.min(total, rollout.updated.length),
    total,
    failures: rollout.failures,
    ...(rollout.reason === undefined ? {} : { reason: rollout.reason }),
    startedAt: rollout.startedAt,
    updatedAt: rollout.updatedAt
  }
}

/** What a viewer sees of a service: every env value replaced, here and in the previous spec. */
export function redacted (view: ServiceView, principal: Principal | undefined): ServiceView {
  if (seesSecrets(principal)) return view
  const hide = (env: Record<string, string>): Record<string, string> => Object.fromEntries(Object.keys(env).map((key) => [key, REDACTED]))
  return {
    ...view,
    spec: { ...view.spec, env: hide(view.spec.env) },
    ...(view.previous === undefined ? {} : { previous: { ...view.previous, spec: { ...view.previous.spec, env: hide(view.previous.spec.env) } } })
  }
}

/** What a viewer sees instead of an env value. */
export const REDACTED = '<redacted>'

/** The DNS names of a service and its slots, short and under "meshd". */
function namesOf (service: string, addresses: ServiceAddresses): string[] {
  const short = [service, ...[...addresses.slots.keys()].map((slot) => `${service}-${slot}`)]
  return short.flatMap((name) => [name, `${name}.meshd`])
}

/** The autoscaler's status of `record` (none yet, or one of a service removed since: only its coordinator). */
function autoscaleView (view: ClusterView, name: string, record: ServiceRecord): NonNullable<ServiceView['autoscale']> {
  const coordinator = memberName(view, coordinatorOf(view, name))
  const stored = view.autoscale[name]
  if (stored === undefined || stored.serviceCreatedAt !== record.createdAt) return { coordinator }
  const { serviceCreatedAt: _c, sig: _s, by, ...status } = stored
  return { ...status, ...(by === undefined ? {} : { by: memberName(view, by) }), coordinator }
}
