// What a reconciler is built from.

import type { ClusterDocument, ServiceRecord, ServiceSpec } from '../../crdt/index.ts'
import type { Logger } from '../../logger.ts'
import type { NodeAssignment } from '../cluster/index.ts'
import type { ResolvedHealth } from '../spec/index.ts'
import type { ReplicaFile, Runtime } from '../runtime/index.ts'
import type { VolumeKeeper } from './volumes.ts'
import type { Events } from '../events/index.ts'

export interface ReconcilerInit {
  nodeId: string
  nodeName: string
  document: ClusterDocument
  runtime: Runtime
  log: Logger
  resolveHealth: (spec: ServiceSpec) => ResolvedHealth | undefined
  /** The slots this node runs now, from the cluster's decisions (cluster/assignment.ts). */
  assign: () => NodeAssignment
  /** A service as this node believes it (trust/): never read from the raw document. */
  service: (name: string) => ServiceRecord | undefined
  /** The files a replica of `spec` gets (its secrets, decrypted, and configs); throws when one cannot be had. */
  files?: (spec: ServiceSpec) => ReplicaFile[]
  /** The volume data of stateful slots: copied in before a start, held, released, deleted (volumes.ts). */
  volumes?: Pick<VolumeKeeper, 'prepare' | 'started' | 'settle' | 'paused'>
  /** Where replica events go (started, healthy, unhealthy, failed, stopped, moved). */
  events?: Events
  gapMs?: number
  maxDelayMs?: number
  resyncMs?: number
  /** How long a healthy replica stays up unpublished before it is stopped (UNPUBLISHED_BEFORE_STOP_MS). */
  drainMs?: number
}
