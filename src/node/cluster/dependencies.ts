// The order of a stack's first start (Compose depends_on): a service that has never
// had a replica waits until each service it depends on runs (or is healthy) somewhere
// in the cluster. Only the first start waits: a service with replicas keeps them and
// restarts them whatever its dependencies do, as Compose and Swarm never stop a
// running container because another went away.
//
// "Has had a replica" is read from the document: a node files a replica record as soon
// as it starts a container and keeps it while the container exists (failed or not).
// So a service with no record on any member counts as not started yet: a new service,
// one scaled to 0 and back, or one whose last replica is gone, e.g. between a crash
// and its restart. Every node decides alike from the same view.

import type { ReplicaState, ServiceDependency, ServiceRecord, ServiceSpec } from '../../crdt/index.ts'
import { byText } from '../../placement/index.ts'
import type { Placement, SlotAssignment, Unplaced } from '../../placement/index.ts'
import { notDead } from './view.ts'
import type { ClusterView } from './view.ts'

interface ReplicaIndex {
  /** Services with a replica record on a member not removed. */
  filed: Set<string>
  /** Service → the best state of its replicas on members not dead: "healthy" over "running". */
  serving: Map<string, 'running' | 'healthy'>
}

const indexes = new WeakMap<ClusterView, ReplicaIndex>()

const SERVING: ReadonlySet<ReplicaState> = new Set(['running', 'healthy'])

function indexOf (view: ClusterView): ReplicaIndex {
  let index = indexes.get(view)
  if (index !== undefined) return index
  index = { filed: new Set(), serving: new Map() }
  for (const { nodeId, replica } of view.replicas) {
    if (view.removals[nodeId] !== undefined) continue
    index.filed.add(replica.service)
    if (!SERVING.has(replica.state) || !notDead(view, nodeId)) continue
    if (replica.state === 'healthy' || !index.serving.has(replica.service)) index.serving.set(replica.service, replica.state as 'running' | 'healthy')
  }
  indexes.set(view, index)
  return index
}

/** True when a replica record of `service` exists on a member not removed: its first start is behind it. */
export function hasStarted (view: ClusterView, service: string): boolean {
  return indexOf(view).filed.has(service)
}

/** True when `dependency` is met in the view: a replica of its service runs (started) or is healthy (healthy) on a member not dead. */
export function dependencyMet (view: ClusterView, dependency: ServiceDependency): boolean {
  const best = indexOf(view).serving.get(dependency.service)
  return best === 'healthy' || (best === 'running' && dependency.condition === 'started')
}

/**
 * Why `record`'s replicas may not start yet ("waiting for shop-db to be healthy"), or
 * undefined when they may: no dependencies, a start behind it, or every dependency met.
 */
export function dependencyWait (view: ClusterView, record: ServiceRecord): string | undefined {
  const dependsOn = record.spec.dependsOn ?? []
  if (dependsOn.length === 0 || hasStarted(view, record.spec.name)) return undefined
  const unmet = dependsOn.filter((dependency) => !dependencyMet(view, dependency))
  if (unmet.length === 0) return undefined
  return `waiting for ${unmet.map((dependency) => describe(view, dependency)).join(' and ')}`
}

function describe (view: ClusterView, dependency: ServiceDependency): string {
  const missing = view.services[dependency.service] === undefined ? ' (no such service)' : ''
  return `${dependency.service}${missing} to be ${dependency.condition === 'healthy' ? 'healthy' : 'running'}`
}

/** The placement with the slots of every service that waits for its dependencies taken out, with the reason. */
export function holdForDependencies (view: ClusterView, placement: Placement): Placement {
  const waits = new Map<string, string>()
  for (const record of Object.values(view.services)) {
    const reason = dependencyWait(view, record)
    if (reason !== undefined) waits.set(record.spec.name, reason)
  }
  if (waits.size === 0) return placement
  const assignments: SlotAssignment[] = []
  const unplaced: Unplaced[] = [...placement.unplaced]
  for (const assignment of placement.assignments) {
    const reason = waits.get(assignment.service)
    if (reason === undefined) assignments.push(assignment)
    else unplaced.push({ service: assignment.service, slot: assignment.slot, key: assignment.key, reason })
  }
  unplaced.sort((a, b) => byText(a.service, b.service) || a.slot - b.slot)
  return { ...placement, assignments, unplaced }
}

/**
 * A cycle among the dependencies of `specs` (["a", "b", "a"]), or undefined. Services
 * in a cycle would each wait for the other for ever on their first start.
 */
export function dependencyCycle (specs: ReadonlyArray<Pick<ServiceSpec, 'name' | 'dependsOn'>>): string[] | undefined {
  const edges = new Map(specs.map((spec) => [spec.name, (spec.dependsOn ?? []).map((d) => d.service)]))
  const done = new Set<string>()
  const path: string[] = []
  const visit = (name: string): string[] | undefined => {
    const at = path.indexOf(name)
    if (at >= 0) return [...path.slice(at), name]
    if (done.has(name) || !edges.has(name)) return undefined
    path.push(name)
    for (const next of edges.get(name) ?? []) {
      const cycle = visit(next)
      if (cycle !== undefined) return cycle
    }
    path.pop()
    done.add(name)
    return undefined
  }
  for (const name of [...edges.keys()].sort()) {
    const cycle = visit(name)
    if (cycle !== undefined) return cycle
  }
  return undefined
}
