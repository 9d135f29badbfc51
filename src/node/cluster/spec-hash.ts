// What a replica was built from, as a short hash: two specs written at the same moment on
// two nodes may both become generation 2, and only one survives the merge. A container
// labelled with the other's hash is then replaced, though its generation matches.

import type { ServiceRecord, ServiceSpec } from '../../crdt/index.ts'
import { canonicalJson, unsealed } from '../../crdt/index.ts'
import type { Plain } from '../../crdt/index.ts'
import { hash32 } from '../../placement/index.ts'

/** 64 bits of the canonical JSON of what a container is built from, as 16 hex digits: the same on every node. */
export function specHash (spec: ServiceSpec): string {
  return hex64(canonicalJson(containerPart(spec) as unknown as Plain))
}

/**
 * The spec less what changes no container: the replica count, the update pace, the
 * network policy (the mesh applies it), the backup schedule, what a slot does when
 * its node is lost, the stack it is filed under and the order of first starts
 * (dependsOn), the autoscaler's bounds and targets, the ingress routes. A scale or a policy change must not replace replicas; writeService
 * gives them no new generation either.
 */
export function containerPart (spec: ServiceSpec): Omit<ServiceSpec, 'replicas' | 'update' | 'allowFrom' | 'policy' | 'backup' | 'stack' | 'dependsOn' | 'autoscale' | 'ingress'> {
  const { replicas: _r, update: _u, allowFrom: _a, policy: _p, backup: _b, stack: _s, dependsOn: _d, autoscale: _as, ingress: _i, ...rest } = spec
  if (rest.volumes === undefined) return rest
  return { ...rest, volumes: rest.volumes.map(({ onNodeLoss: _l, ...volume }) => volume) }
}

/** A service record's version (its ETag): changes with anything written to it, whoever wrote it. */
export function recordVersion (record: ServiceRecord): string {
  return hex64(canonicalJson(unsealed(record as unknown as { [key: string]: Plain })))
}

function hex64 (text: string): string {
  return [hash32(text, 0), hash32(text, 1)].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('')
}
