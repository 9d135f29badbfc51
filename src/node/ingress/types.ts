// The ingress's plain data: what it is built from, what it asks of the certificates,
// and the counters it reports.

import type { SecureContext } from 'node:tls'
import type { ClusterDocument } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import type { ClusterView } from '../cluster/index.ts'

/** What the ingress asks of the cluster's certificates (src/node/certs/ implements it). */
export interface IngressCertificates {
  /** The TLS context for a server name (exact host first, then its wildcard), or undefined: the handshake is refused. */
  secureContext: (servername: string) => SecureContext | undefined
  /** The key authorization of an ACME HTTP-01 token this cluster is answering, or undefined (404). */
  challenge: (token: string) => string | undefined
}

export interface IngressInit {
  /** The node's address: both servers listen on it, and upstream dials leave from it. */
  host: string
  /** HTTP port; 0: no HTTP server. */
  httpPort: number
  /** HTTPS port; 0 (or no certificates): no HTTPS server. */
  httpsPort: number
  document: ClusterDocument
  /** The cluster as this node sees it now. */
  view: () => ClusterView
  log: Logger
  /** The mesh key: another node's replicas are reached through its mesh port with a signed hop header. */
  meshKey?: Buffer
  certificates?: IngressCertificates
  /** Overrides of the defaults (tests). */
  connectTimeoutMs?: number
  listenRetryMs?: number
}

/** Requests of one route by status class ("2xx"…), and its bytes. */
export interface IngressRouteStats {
  host: string
  path: string
  service: string
  requests: Record<string, number>
  /** Request bodies from clients, response bodies to them. */
  bytesIn: number
  bytesOut: number
  /** Attempts sent again to another replica after a connection failed before any response byte. */
  retries: number
}

/** The ingress on this node: its listeners, its routes' counters, the requests no route matched. */
export interface IngressStats {
  listening: { http?: number, https?: number }
  problems: Array<{ port: number, error: string }>
  routes: IngressRouteStats[]
  unrouted: number
}
