// What the API is built from: the node, its document, its view of the cluster and its mesh.

import type { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { AcmeAccountRecord, AcmeRecord, AlertRecord, AlertStateRecord, CertRecord, ClusterDocument, ServiceRecord } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import type { ProxyStats, RouteProblem } from '../../proxy/index.ts'
import type { AuditLog, TokenIndex } from '../auth/index.ts'
import type { ClusterView, ServiceAddresses } from '../cluster/index.ts'
import type { ClusterRecords } from '../backup/index.ts'
import type { LogQuery } from '../logs/index.ts'
import type { ListedProblem, StoredRecords } from '../trust/index.ts'
import type { ServiceMeshView } from '../mesh/index.ts'
import type { EventService } from '../events/index.ts'
import type { IngressStats } from '../ingress/index.ts'
import type { NodeMetrics, ReplicaStatsService } from '../metrics/index.ts'
import type { FrontDoorInit } from './front-door.ts'
import type { ResolveImage } from './images.ts'

export interface ApiInit {
  host: string
  port: number
  node: { id: string, name: string }
  /** Where writes go. */
  document: ClusterDocument
  /** The cluster as this node sees it now: members, placement, replicas. */
  view: () => ClusterView
  /** This node's routing mesh: counters and listener problems. */
  mesh?: MeshStatus
  /** This node's HTTP ingress counters (in GET /v1/mesh). */
  ingress?: () => IngressStats
  log: Logger
  /** Timeouts, Host/Origin rules and TLS of the listening server. */
  front: FrontDoorInit
  /** The cluster's tokens: every route but GET /v1/health needs one. */
  tokens: TokenIndex
  /** Where writes and refusals are recorded. */
  audit?: AuditLog
  /** Records of the document this node ignores, and why (trust/). */
  problems?: () => { total: number, problems: ListedProblem[] }
  /** The services' addresses on this node, for the service view. */
  addresses?: (services: Record<string, ServiceRecord>) => Map<string, ServiceAddresses>
  /** Services may publish ports below 1024 (--allow-low-ports). */
  allowLowPorts?: boolean
  /** This node's engine naming an image's id (Runtime.imageId), for deployService; without it deploys record none. */
  resolveImage?: ResolveImage
  /** The key secrets are encrypted with (stored/crypto.ts); without it secrets cannot be written. */
  secretsKey?: Buffer
  /** The secrets and configs this node believes (trust/); without it, the document's. */
  stored?: () => StoredRecords
  /** Volume archives out and in (`meshd volume backup|restore`), through the node holding the volume (node/stateful.ts). */
  volumeArchives?: {
    archive: (service: string, slot: number, source: string) => Promise<Readable>
    restore: (service: string, slot: number, source: string, sealed: Readable) => Promise<void>
  }
  /** Node-to-node routes (the transfer channel: TransferService), added behind the front door's peer check. */
  transfer?: { register: (app: FastifyInstance) => void }
  /** The key cluster backups are signed with (backup/format.ts); without it no backup is taken or restored. */
  backupKey?: Buffer
  /** The services, secrets, configs and tokens this node believes, for a backup; without it, the document's. */
  records?: () => ClusterRecords
  /** Services' logs across the cluster (logs/ ClusterLogs): newline-delimited JSON, streamed. */
  logs?: { stream: (service: string, query: LogQuery) => Readable }
  /** The id of this node's cluster, when it has one (datadir/cluster-id.ts). */
  clusterId?: () => string | undefined
  /** The cluster's events: written here by the API's writes, served at GET /v1/events (events/). */
  events?: EventService
  /** GET /metrics; without it, no such route. */
  metrics?: Pick<NodeMetrics, 'render' | 'contentType'>
  /** GET /metrics without a token (--metrics-public). */
  metricsPublic?: boolean
  /** GET /v1/stats and the member-to-member /v1/internal/stats behind it. */
  stats?: Pick<ReplicaStatsService, 'gather' | 'local' | 'sample' | 'authenticate'>
  /** The alert rules and their states this node believes (trust/); without it, the document's. */
  alerts?: { rules: () => Record<string, AlertRecord>, states: () => Record<string, AlertStateRecord> }
  /** The TLS certificates and their ACME issuance this node believes (trust/); without it, the document's. */
  certs?: { certs: () => Record<string, CertRecord>, acme: () => Record<string, AcmeRecord | AcmeAccountRecord> }
}

export interface MeshStatus {
  service: (name: string) => ServiceMeshView
  stats: () => ProxyStats & { problems: RouteProblem[] }
}
