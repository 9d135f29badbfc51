// An ingress host and path belongs to one service: a second claim is refused, naming
// the first, so a deploy never silently takes another service's traffic. (Two claims
// written on two nodes at once can still both land; the route table then keeps the
// older service's — cluster/ingress.ts.)

import type { ClusterDocument, ServiceSpec } from '../../crdt/index.ts'
import { MeshdError } from '../errors.ts'

/** Refuses (MESHD_INGRESS_TAKEN, naming the owner) a route of `spec` another service of the document routes. */
export function assertIngressFree (document: ClusterDocument, spec: ServiceSpec): void {
  const owners = new Map<string, string>()
  for (const [name, record] of Object.entries(document.services())) {
    if (name === spec.name) continue
    for (const rule of record.spec.ingress ?? []) owners.set(routeKey(rule), name)
  }
  spec.ingress?.forEach((rule, i) => {
    const owner = owners.get(routeKey(rule))
    if (owner !== undefined) throw taken(`ingress[${i}]`, routeKey(rule), `service "${owner}"`)
  })
}

/** Refuses two services of one stack write that claim the same route (each was checked against the document only). */
export function assertOwnIngressDistinct (services: ReadonlyArray<{ name: string, spec: ServiceSpec }>): void {
  const owners = new Map<string, string>()
  services.forEach((step, i) => step.spec.ingress?.forEach((rule, j) => {
    const owner = owners.get(routeKey(rule))
    if (owner !== undefined) throw taken(`services[${i}].ingress[${j}]`, routeKey(rule), `"${owner}" in this stack`)
    owners.set(routeKey(rule), step.name)
  }))
}

function routeKey (rule: { host: string, path: string }): string {
  return `${rule.host}${rule.path}`
}

function taken (at: string, route: string, owner: string): MeshdError {
  return new MeshdError('MESHD_INGRESS_TAKEN', `${at}.host: ${route} is already routed to ${owner}, expected a host and path no other service routes`, `${at}.host`)
}
