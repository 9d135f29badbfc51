// The routing mesh's plain data: routes in, problems and counters out.

import type { Logger } from '../logger.ts'

/** One published port of a service and where its traffic goes. */
export interface Route {
  service: string
  /** Listened on at the node's host. */
  published: number
  /** "host:port" of the healthy replicas on alive nodes, for this port's target. */
  endpoints: string[]
  /** Send a PROXY protocol v2 header with the client's address before any data. */
  proxyProtocol?: boolean
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
}

/** A route whose listener could not be opened; retried on the next update. */
export interface RouteProblem {
  service: string
  published: number
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
  /** Client → upstream. */
  bytesIn: number
  /** Upstream → client. */
  bytesOut: number
  errors: number
  retries: number
  /** Closed at once because the connection cap was reached. */
  refused: number
  endpoints: EndpointStats[]
}

export interface ProxyStats {
  connections: { active: number, max: number }
  services: ServiceStats[]
}
