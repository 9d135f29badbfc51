// The HTTP(S) ingress of every node: requests routed by Host and path prefix to the
// healthy replicas of a service anywhere in the cluster, through the mesh's endpoints.
// TLS certificates and ACME challenges come from an IngressCertificates (node/certs/).

export { Ingress } from './ingress.ts'
export type { IngressCertificates, IngressInit, IngressRouteStats, IngressStats } from './types.ts'
export { matchRoute, pathMatches, routeTable } from './table.ts'
export type { RouteTable } from './table.ts'
export { downstreamHeaders, hostOf, pathOf, requestIdOf, upstreamHeaders } from './headers.ts'
export type { Forwarding } from './headers.ts'
export { replayable } from './forward.ts'
export { parseEndpoint } from './upstreams.ts'
export * as constants from './constants.ts'
