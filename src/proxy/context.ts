// What a relayed connection sees of the proxy and of the route it arrived on.

import type { Socket } from 'node:net'
import type { Endpoint } from './endpoint.ts'
import type { Logger } from '../logger.ts'

/** Counters of one service, shared by its listeners. */
export interface ServiceCounters {
  total: number
  active: number
  bytesIn: number
  bytesOut: number
  errors: number
  retries: number
  refused: number
  /** Refused by the network policy, by source. */
  denied: Record<string, number>
  /** Let through by policy "observe" though it would refuse them, by source. */
  observed: Record<string, number>
  /** Dial to upstream connect: counts per CONNECT_BUCKETS_MS bound (not cumulative; the last is above them all), and their sum. */
  connect: { counts: number[], sumMs: number }
  /** Of total and active: hops from another node's mesh (their client was counted there). */
  hops: { total: number, active: number }
}

/** What proxy-wide settings a connection needs. */
export interface RelaySettings {
  /** Upstream dials bind here; undefined lets the kernel choose. */
  localAddress: string | undefined
  connectTimeoutMs: number
  idleTimeoutMs: number
  endpointDownMs: number
  maxAttempts: number
  log: Logger
}

/** The route a connection arrived on, as the connection sees it. */
export interface RouteContext {
  readonly service: string
  readonly counters: ServiceCounters
  readonly proxyProtocol: boolean
  readonly settings: RelaySettings
  /** The endpoints taking new connections. */
  readonly live: readonly Endpoint[]
  /** Called once when the client connection is gone. */
  release: () => void
  /** Signs the hop header of endpoints behind another node's mesh port. */
  readonly meshKey?: Buffer | undefined
  /** A hop from another node's mesh, not a client of this node. */
  readonly hop?: boolean
  /** Holds a client while no endpoint is live (scale from zero), resuming it later; false when it is not held. */
  hold?: (client: Socket, resume: () => void) => boolean
}

/** Who a connection is from, beyond its socket: set for hops arriving from another node. */
export interface Origin {
  /** The source service ("external" from outside), for a next hop's policy and counters. */
  source: string
  /** The client at the first node, for a PROXY header; absent: this socket's peer. */
  client?: { address: string, port: number }
}
