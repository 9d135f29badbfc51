/**
 * The routing mesh of meshd: every node listens on every published port of every
 * service at its host, and relays each connection to a healthy replica anywhere.
 *
 * - Balancing: least outstanding connections between two random endpoints. A connect
 *   error or timeout marks the endpoint down locally for ENDPOINT_DOWN_MS and another
 *   is tried, up to MAX_CONNECT_ATTEMPTS.
 * - Relaying: backpressure both ways, half-close (a client FIN is passed on and the
 *   response still flows back), idle timeout, a connection cap across all listeners.
 * - An endpoint that leaves the route gets no new connections; its open ones drain for
 *   drainTimeoutMs, then are closed. A route that goes away closes its listener.
 * - A port that cannot be listened on is reported by problems() and retried on the
 *   next update, never thrown.
 * - Optional PROXY protocol v2 header per route, so services see the client address.
 *
 * @example
 * ```ts
 * const p = proxy({ host: '10.0.0.5', log })
 * await p.start()
 * await p.update([{ service: 'web', published: 8080, endpoints: ['10.0.0.6:32768'] }])
 * ```
 */

import { Proxy } from './proxy.ts'
import type { ProxyInit } from './types.ts'

/** A proxy for the node's host, not started. */
export function proxy (init: ProxyInit): Proxy {
  return new Proxy(init)
}

export { Proxy }
export { proxyHeader } from './proxy-protocol.ts'
export { encodeMeshHeader } from './mesh-header.ts'
export type { MeshRequest } from './mesh-header.ts'
export type { EndpointStats, ProxyInit, ProxyStats, Route, RouteProblem, ServiceStats } from './types.ts'
export * as constants from './constants.ts'
