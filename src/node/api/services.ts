// Service writes as the API performs them: validated input in, one document
// transaction out. A rejected request changes nothing.

import { isDeepStrictEqual } from 'node:util'
import type { ClusterDocument, ServiceRecord, ServiceSpec } from '../../crdt/index.ts'
import { MeshdError } from '../errors.ts'
import { LOW_PORTS } from './constants.ts'
import { assertIngressFree } from './ingress-claims.ts'
import { containerPart, inProgress, memberPorts, newRollout, nextAddressIndex, rollbackOf } from '../cluster/index.ts'

export interface WriteResult { created: boolean, changed: boolean, record: ServiceRecord }

/** What the node that takes a write allows and knows beyond the spec itself. */
export interface WriteOptions {
  /** Ports below 1024 may be published (--allow-low-ports). */
  allowLowPorts?: boolean
  /** What spec.image resolved to on this node (deployService). */
  imageId?: string
}

/**
 * Creates or updates a service; the generation moves only when what containers run changes
 * (not on scale). Without `opts.imageId`, a record whose image is unchanged keeps its id,
 * and a new image is recorded without one.
 */
export function writeService (document: ClusterDocument, written: ServiceSpec, now = Date.now(), opts: WriteOptions = {}): WriteResult {
  assertPortsFree(document, written, opts)
  assertIngressFree(document, written)
  const existing = document.service(written.name)
  const spec = written
  const outcome = writeOutcome(existing, spec, opts.imageId)
  const image = outcome.imageId === undefined ? {} : { imageId: outcome.imageId }
  if (existing === undefined) {
    const record: ServiceRecord = { spec, generation: 1, ...image, addressIndex: nextAddressIndex(document.services()), createdAt: now, updatedAt: now }
    document.putService(spec.name, record)
    return { created: true, changed: true, record }
  }
  if (outcome.action === 'unchanged') return { created: false, changed: false, record: existing }
  if (outcome.generation === existing.generation) {
    const record: ServiceRecord = { ...existing, spec, updatedAt: now }
    document.putService(spec.name, record)
    return { created: false, changed: true, record }
  }
  const generation = outcome.generation
  // A change during a rollout in progress rolls out from where that one started: the
  // slots it had not moved stay where they are, the few it had moved go back first.
  const rollout = document.rollout(spec.name)
  const from = inProgress(existing, rollout) && rollout.from === existing.previous?.generation
    ? existing.previous
    : { spec: existing.spec, generation: existing.generation, ...(existing.imageId === undefined ? {} : { imageId: existing.imageId }) }
  const record: ServiceRecord = { spec, generation, ...image, previous: from, ...(existing.addressIndex === undefined ? {} : { addressIndex: existing.addressIndex }), createdAt: existing.createdAt, updatedAt: now }
  document.transact(() => {
    document.putService(spec.name, record)
    document.putRollout(spec.name, newRollout(record, from.generation, now))
  })
  return { created: false, changed: true, record }
}

/** What writeService does with `spec`, given the record there is: the action, the generation it ends at, the image id it records. */
export function writeOutcome (existing: ServiceRecord | undefined, written: ServiceSpec, imageId?: string): { action: 'created' | 'updated' | 'unchanged', generation: number, imageId?: string } {
  const spec = written
  const pinned = imageId ?? (existing?.spec.image === spec.image ? existing.imageId : undefined)
  const image = pinned === undefined ? {} : { imageId: pinned }
  if (existing === undefined) return { action: 'created', generation: 1, ...image }
  // The same tag naming another image (re-imported, re-built) is a new release to roll out.
  const sameImage = pinned === existing.imageId
  if (sameImage && isDeepStrictEqual(existing.spec, spec)) return { action: 'unchanged', generation: existing.generation, ...image }
  // The replica count, the update pace and the network policy change no container (containerPart).
  const rollsContainers = !sameImage || !isDeepStrictEqual(containerPart(existing.spec), containerPart(spec))
  // After a rollback the previous generation is the higher one: numbers are never reused.
  const generation = rollsContainers ? Math.max(existing.generation, existing.previous?.generation ?? 0) + 1 : existing.generation
  return { action: 'updated', generation, ...image }
}

/** Rolls a service back to its previous spec and generation, in batches like an update. */
export function rollbackService (document: ClusterDocument, name: string, slots: readonly number[], now = Date.now()): ServiceRecord {
  const existing = requireService(document.services(), name)
  const back = rollbackOf(existing, document.rollout(name), slots, now, 'rollback requested')
  if (back === undefined) throw new MeshdError('MESHD_NO_PREVIOUS_SPEC', `service "${name}" has no previous spec to roll back to`, 'name')
  document.transact(() => {
    document.putService(name, back.record)
    document.putRollout(name, back.rollout)
  })
  return back.record
}

/** Sets the replica count of an existing service; refused (MESHD_AUTOSCALED) when its autoscaler sets it. */
export function scaleService (document: ClusterDocument, name: string, replicas: number, opts: WriteOptions = {}): WriteResult {
  const existing = requireService(document.services(), name)
  const autoscale = existing.spec.autoscale
  if (autoscale !== undefined) {
    throw new MeshdError('MESHD_AUTOSCALED', `service "${name}" is autoscaled between ${autoscale.min} and ${autoscale.max} replicas: change autoscale.min and autoscale.max in its spec (PUT /v1/services/${name}), or remove autoscale, to set its count`, 'replicas')
  }
  return writeService(document, { ...existing.spec, replicas }, Date.now(), opts)
}

/** Deletes a service; its containers go as every node reconciles. */
export function deleteService (document: ClusterDocument, name: string): void {
  requireService(document.services(), name)
  document.transact(() => {
    document.deleteService(name)
    document.deleteRollout(name)
    document.deleteAutoscale(name)
  })
}

/** The service's record, or MESHD_SERVICE_NOT_FOUND. */
export function requireService (services: Record<string, ServiceRecord>, name: string): ServiceRecord {
  const record = services[name]
  if (record === undefined) throw new MeshdError('MESHD_SERVICE_NOT_FOUND', `service "${name}" not found`, 'name')
  return record
}

/**
 * A published port must be free: not another service's, not a member's API, peer-to-peer,
 * mesh or ingress port (every node's restart would fail), and not below 1024 unless the
 * node allows it (a port the service already publishes stays allowed).
 */
export function assertPortsFree (document: ClusterDocument, spec: ServiceSpec, opts: WriteOptions): void {
  const owners = new Map<number, string>()
  for (const [name, record] of Object.entries(document.services())) {
    if (name === spec.name) continue
    for (const port of record.spec.ports) if (port.published !== undefined) owners.set(port.published, name)
  }
  const members = memberPorts(document.nodes())
  const already = new Set(document.service(spec.name)?.spec.ports.map((p) => p.published) ?? [])
  spec.ports.forEach((port, i) => {
    if (port.published === undefined) return
    const path = `ports[${i}].published`
    const owner = owners.get(port.published)
    if (owner !== undefined) throw new MeshdError('MESHD_PORT_CONFLICT', `${path}: port ${port.published} is already published by service "${owner}"`, path)
    const member = members.get(port.published)
    if (member !== undefined) throw new MeshdError('MESHD_INVALID_SPEC', `${path}: port ${port.published} is ${member}, expected a port meshd does not use itself`, path)
    if (port.published < LOW_PORTS && opts.allowLowPorts !== true && !already.has(port.published)) {
      throw new MeshdError('MESHD_INVALID_SPEC', `${path}: port ${port.published} is below ${LOW_PORTS}, expected ${LOW_PORTS} or above (start the nodes with --allow-low-ports to publish system ports)`, path)
    }
  })
}
