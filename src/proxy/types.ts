// The routing mesh's plain data: routes in, problems and counters out.

import type { Logger } from '../logger.ts'

/** One port a service is reached on at this node, and where its traffic goes. */
export interface Route {
  service: string
  /** The port listened on: a published port, or the service's port on a service address. */
  published: number
  /** The address listened on; default the node's host (a published port). */
  address?: string
  /**
   * Where connections go: "ip:port" of a replica of this node, or
   * "mesh://host:meshPort/service/slot/port" — a replica of another node, reached
   * through that node's mesh port (slot "-": any healthy replica there).
   */
  endpoints: string[]
  /** Send a PROXY protocol v2 header with the client's address before any data. */
  proxyProtocol?: boolean
  /** Network policy: the services (and "external") that may connect; absent: anyone. */
  allowFrom?: string[]
  /** "observe": count connections the policy would refuse, and let them through. */
  policy?: 'enforce' | 'observe'
  /** While no endpoint is live, hold a new connection up to this long for one to start (an autoscaled service at zero). */
  holdMs?: number
}

/** How a node's mesh port serves peers' hops (mesh-header.ts). */
export interface MeshPortInit {
  port: number
  /** The replica a hop asks for, as "ip:port" of this node; undefined when there is none. */
  target: (service: string, slot: number | undefined, port: number) => string | undefined
}

export interface ProxyInit {
  /** Every socket binds here: listeners, and upstream dials as their localAddress. */
  host: string
  log: Logger
  /** Default CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number
  /** Default IDLE_TIMEOUT_MS. */
  idleTimeoutMs?: number
  /** Default DRAIN_TIMEOUT_MS. */
  drainTimeoutMs?: number
  /** Open client connections across all listeners; default MAX_CONNECTIONS. */
  maxConnections?: number
  /** The service of a local replica at this address, for network policy; others are "external". */
  sourceOf?: (address: string) => string | undefined
  /** Authenticates hops to and from other nodes' meshes (derived from the cluster secret). */
  meshKey?: Buffer
}

/** A route whose listener could not be opened; retried on the next update. */
export interface RouteProblem {
  service: string
  published: number
  /** Set for a listener on an address other than the node's host (a service address). */
  address?: string
  error: string
}

export interface EndpointStats {
  endpoint: string
  connections: { total: number, active: number }
  bytesIn: number
  bytesOut: number
  errors: number
  /** Marked down locally after a failed connect. */
  down: boolean
  /** Removed by an update; open connections are draining. */
  draining: boolean
}

export interface ServiceStats {
  service: string
  published: number[]
  connections: { total: number, active: number }
  /** Of connections, those of clients at this node (not hops from another node's mesh): the autoscaler's figures. */
  clients: { total: number, active: number }
  /** Client → upstream. */
  bytesIn: number
  /** Upstream → client. */
  bytesOut: number
  errors: number
  retries: number
  /** Closed at once because the connection cap was reached. */
  refused: number
  /** Refused by the network policy, by source service ("external" from outside). */
  denied: Record<string, number>
  /** Let through under policy "observe" though the policy would refuse them, by source. */
  observed: Record<string, number>
  /** Upstream connect latency: how many connects took at most each bound (per bound, not cumulative; the last count is above every bound), and the sum. */
  connect: { boundsMs: readonly number[], counts: number[], sumMs: number }
  /** Every address:port the service is listened on at this node. */
  listeners: string[]
  endpoints: EndpointStats[]
}

export interface ProxyStats {
  connections: { active: number, max: number }
  services: ServiceStats[]
}
