import type { Sealed } from './sealed.ts'
import type { AutoscaleRecord, AutoscaleSpec } from './autoscale-types.ts'
import type { IngressRule } from './ingress-types.ts'
import type { ConfigRef, SecretRef } from './stored-types.ts'
import type { BackupEntry, BackupSpec, TmpfsSpec, VolumeHold, VolumeSpec } from './volume-types.ts'

// The data model of the cluster document. Plain JSON values only: they are stored
// as whole values in Yjs maps, and every entry has exactly one writer (docs/architecture.md).

/**
 * A port of a service: `target` in the container, reached by name on the service's
 * address from other services; `published` also on every node's address, from outside.
 */
export interface PortSpec {
  published?: number
  target: number
  /** The mesh sends a PROXY protocol v2 header with the client's address to the replica. */
  proxyProtocol?: boolean
}

/** A health check; durations are compose-style strings ("500ms", "5s", "1m30s"). */
export interface HealthSpec {
  type: 'tcp' | 'http' | 'cmd'
  /** Container port probed by `tcp` and `http`; defaults to the first port's target. */
  port?: number
  /** Path requested by `http`; defaults to "/". */
  path?: string
  /** Command executed in the container by `cmd`. */
  cmd?: string[]
  interval?: string
  timeout?: string
  retries?: number
  startPeriod?: string
}

/** A service as the user wrote it, after validation and defaults. */
export interface ServiceSpec {
  name: string
  image: string
  command?: string[]
  /** Docker's Entrypoint; an empty array resets the image's. */
  entrypoint?: string[]
  /** Who the process runs as: "1000", "1000:1000", "postgres". */
  user?: string
  /** The process's directory (absolute). */
  workingDir?: string
  /** The signal that asks a replica to stop ("SIGTERM"), then SIGKILL after stopGracePeriod. */
  stopSignal?: string
  /** A duration ("10s"); default DEFAULT_GRACE_SECONDS (runtime). */
  stopGracePeriod?: string
  env: Record<string, string>
  replicas: number
  ports: PortSpec[]
  health?: HealthSpec
  labels: Record<string, string>
  /** "replicated" (default): `replicas` slots; "global": one slot per eligible node. */
  mode?: 'replicated' | 'global'
  /** Placement constraints: `node.name==x`, `node.labels.zone!=b`, … */
  constraints?: string[]
  /** At most this many replicas of the service on one node. */
  maxPerNode?: number
  /** Reserved by each replica against the node's capacity; `limits` caps what it may use. */
  resources?: { cpus?: number, memory?: number, limits?: ResourceLimits }
  /** How a new generation rolls out (defaults in UPDATE_DEFAULTS). */
  update?: UpdateSpec
  /** When an exited replica is started again (default: always, with backoff). */
  restart?: RestartSpec
  /** Network policy: the services (and "external", from outside) that may connect; absent: anyone. */
  allowFrom?: string[]
  /** "enforce" (default) refuses the others; "observe" counts them and lets them through. */
  policy?: 'enforce' | 'observe'
  /** Secrets as files in memory: /run/secrets/TARGET (or an absolute target). */
  secrets?: SecretRef[]
  /** Configs as files at their absolute target path. */
  configs?: ConfigRef[]
  /** Named volumes, one per slot on the node that runs it (Docker volume runtime volumeName()). */
  volumes?: VolumeSpec[]
  /** Memory-backed directories, empty at every start. */
  tmpfs?: TmpfsSpec[]
  /** Archives of each slot's volumes on a schedule; only with volumes. */
  backup?: BackupSpec
  /** The Compose stack the service belongs to; its name is `${stack}-SHORT`. */
  stack?: string
  /** Services whose replicas must run (or be healthy) before this one's first replicas start. */
  dependsOn?: ServiceDependency[]
  /** Replicas between min and max, from the mesh's numbers (decided by the service's coordinator). */
  autoscale?: AutoscaleSpec
  /** HTTP(S) routes every node's ingress sends to one of the service's ports (target). */
  ingress?: IngressRule[]
}

/** One entry of dependsOn: a full service name and what it must reach. */
export interface ServiceDependency {
  service: string
  condition: 'started' | 'healthy'
}

/** What one replica may use, enforced by the kernel (cgroups); absent fields are not limited, but pids has a default (runtime). */
export interface ResourceLimits {
  /** CPU time, in cpus: 0.5 is half of one cpu's time. */
  cpus?: number
  /** Memory in bytes, swap included: the replica is OOM-killed past it. */
  memory?: number
  /** Processes and threads at once. */
  pids?: number
}

/** A rolling update's pace and what it does when replicas of the new generation fail. */
export interface UpdateSpec {
  /** Slots updated at once (default 1); also the moves per service when rebalancing. */
  parallelism?: number
  /** Wait between batches, a duration ("0s"). */
  delay?: string
  /** "start-first" (default): the new replica is healthy before the old one stops; "stop-first". */
  order?: 'start-first' | 'stop-first'
  /** "rollback" (default), "pause" or "continue" once too many updated slots fail. */
  failureAction?: 'rollback' | 'pause' | 'continue'
  /** How long an updated replica must stay healthy before it counts ("1s"). */
  monitor?: string
  /** Failed slots over the total tolerated before the failure action (0). */
  maxFailureRatio?: number
}

/** Docker's restart policy, per slot. */
export interface RestartSpec {
  /** "any" (default), "on-failure" (exit code not 0) or "none". */
  condition?: 'any' | 'on-failure' | 'none'
  /** First wait before a restart ("500ms"); it doubles up to 30 s. */
  delay?: string
  /** Restarts within `window` before the slot gives up (unlimited). */
  maxAttempts?: number
  /** The window maxAttempts counts in ("2m"; unlimited when absent). */
  window?: string
}

/** `services[name]`: written by the API of whichever node took the request. */
export interface ServiceRecord extends Sealed {
  spec: ServiceSpec
  /** Bumped whenever the spec changes; replicas carry the generation they run. */
  generation: number
  /**
   * The id ("sha256:…") of the image spec.image named on the node that took the deploy:
   * every node runs exactly that image for the tag. Absent when that node did not have
   * the image; then each node runs whatever its tag names.
   */
  imageId?: string
  /** The spec before the last change (and its image id), kept for rollback. */
  previous?: { spec: ServiceSpec, generation: number, imageId?: string }
  /** Its service addresses' index on every node (cluster/addresses.ts): recorded at creation, kept. */
  addressIndex?: number
  createdAt: number
  updatedAt: number
}

export const REPLICA_STATES = ['starting', 'running', 'healthy', 'unhealthy', 'exited', 'failed'] as const
export type ReplicaState = typeof REPLICA_STATES[number]

/** `replicas[nodeId][slotKey]`: written only by the node that runs the container. */
export interface ReplicaRecord extends Sealed {
  service: string
  slot: number
  generation: number
  /** Name of the node running it. */
  node: string
  container: string
  /** "host:port" of the first published port, empty while unknown. */
  endpoint: string
  /** Every target port and where this node reaches it ("containerIp:port"). */
  ports: Array<{ target: number, endpoint: string }>
  /** The container's address on its node's replica network (who it is, for network policy). */
  address?: string
  state: ReplicaState
  /** Why the replica is failed, exited or unhealthy, when known. */
  error?: string
  /** The slot's last failed replica, so people can see why it was replaced. */
  lastFailure?: SlotFailure
  /** When this node took the slot (ms): of two replicas of a slot, placement keeps the newer. */
  since?: number
  updatedAt: number
}

/** A replica of a slot that exited, turned unhealthy or could not start. */
export interface SlotFailure {
  container: string
  state: ReplicaState
  error: string
  at: number
  /** The generation the failed replica ran. */
  generation?: number
}

/** `nodes[id]`: written only by that node. */
export interface NodeRecord extends Sealed {
  name: string
  host: string
  apiPort: number
  p2pPort: number
  labels: Record<string, string>
  /** What the node offers for placement: cpus, memory in bytes. */
  capacity?: { cpus: number, memory: number }
  draining: boolean
  startedAt: number
  /** Services whose replicas keep failing here, and until when (ms) placement puts them elsewhere. */
  avoid?: Record<string, number>
  /** Where other nodes' meshes reach this node's replicas (mesh hops). */
  meshPort?: number
  /** Its ingress' HTTP and HTTPS ports (absent when off). */
  ingressPorts?: number[]
  /** Slot key → the volume data of that slot this node holds. */
  holds?: Record<string, VolumeHold>
  /** The backups of other nodes' volumes this node stores, by backupKey(). */
  backups?: Record<string, BackupEntry>
}

/**
 * `drains[nodeId]`: whether a node should hand its replicas to others. Written by the
 * API of whichever node took the drain or undrain request (any node can), so it lives
 * apart from `nodes[id]`, whose only writer is the node itself.
 */
export interface DrainRecord extends Sealed {
  draining: boolean
  updatedAt: number
}

/** `rollouts[service]`: written by the service's coordinator. */
/** `rollouts[name]`: a rolling update's progress, written by the service's coordinator. */
export interface RolloutRecord extends Sealed {
  /** The generation being rolled out, and the one its slots come from. */
  generation: number
  from: number
  phase: 'rolling' | 'paused' | 'completed' | 'rolled-back'
  /** Slots moved to `generation` (their desired generation); the others stay on `from`. */
  updated: number[]
  /** Updated slots whose new replica failed. */
  failed: number[]
  failures: number
  /** A rollback (automatic or asked for) rather than an update. */
  rollback?: boolean
  /** When the last batch was started, and why the rollout stopped, if it did. */
  batchAt?: number
  reason?: string
  startedAt: number
  updatedAt: number
}

export const ROLES = ['viewer', 'deployer', 'operator', 'admin'] as const
export type Role = typeof ROLES[number]

/**
 * `tokens[name]`: an API token, cluster-wide. Only the SHA-256 of the token is kept:
 * the token itself is shown once, when it is created. Deleting the entry revokes it.
 */
export interface TokenRecord extends Sealed {
  /** Hex SHA-256 of the bearer token. */
  hash: string
  role: Role
  /** A deployer limited to these service names ("web", "shop-*"). */
  services?: string[]
  /** After this time (ms) the token is refused. */
  expiresAt?: number
  createdAt: number
  /** The token that created this one, or the node that wrote its own first admin token. */
  createdBy: string
}

/**
 * `removals[nodeId]`: a member that left the cluster for good — removed by an
 * operator, superseded by a node that took its name and address with a fresh data
 * dir, or reaped after being dead too long. Its records are ignored and its id banned.
 */
export interface RemovalRecord extends Sealed {
  reason: 'removed' | 'superseded' | 'reaped'
  /** The member's name, for people. */
  name: string
  at: number
}

/** One replica record with where it is filed: `replicas[nodeId][key]`. */
export interface ReplicaEntry {
  nodeId: string
  key: string
  replica: ReplicaRecord
}

/** Every record of the document at one moment, as plain data. */
export interface DocumentSnapshot {
  services: Record<string, ServiceRecord>
  nodes: Record<string, NodeRecord>
  /** Ordered by node id, then slot key. */
  replicas: ReplicaEntry[]
  rollouts: Record<string, RolloutRecord>
  drains: Record<string, DrainRecord>
  removals: Record<string, RemovalRecord>
  /** The autoscaler's count and status of autoscaled services (their records, unchecked: see node/cluster/view.ts). */
  autoscale: Record<string, AutoscaleRecord>
}
