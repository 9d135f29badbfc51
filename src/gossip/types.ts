// The gossip layer's vocabulary: what it is built from, what it emits, what it reports.

import type { MemberState } from './detector.ts'
export type { MemberState }
import type { BeatStats } from './beat-links.ts'
import type { LimitStats } from './peer-guard.ts'
import type { PulseStats } from './pulses.ts'
import type { ReplicationStats } from './replication.ts'
import type { SyncStats } from './sync.ts'
import type { ClusterDocument } from '../crdt/index.ts'
import type { Logger } from '../logger.ts'
import type { PrivateKey } from '@libp2p/interface'

/** This node's cluster, as the key confirmation exchanges it (protector.ts). */
export interface ClusterIdentity {
  /** The cluster this node belongs to (32 hex digits), or undefined while it has joined none. */
  id: () => string | undefined
  /** A first peer told this node its cluster: keep it. */
  adopt: (id: string) => void
}

export interface GossipInit {
  /** Members removed for good: their connections are refused, they are never dialled. */
  banned?: (id: string) => boolean
  /** The cluster this node belongs to: a peer of another cluster is refused even with the same secret. */
  cluster?: ClusterIdentity
  /** The node's libp2p key (src/node/datadir/identity.ts); its peer id is the member id. */
  privateKey: PrivateKey
  /** The address every socket binds to: listen and outgoing dials alike. */
  host: string
  /** The TCP port libp2p listens on. */
  port: number
  /** The cluster secret in pnet `swarm.key` format (see secret.ts). */
  psk: Uint8Array
  /** The document to replicate. */
  document: ClusterDocument
  /** Peers to join: "host:port" or multiaddrs, redialled with backoff until connected. */
  join?: string[]
  /** Find peers on the LAN by mDNS (default false). */
  mdns?: boolean
  log: Logger
  /** Beat period (default HEARTBEAT_MS, 250 ms). */
  heartbeatMs?: number
  /** Silence before suspect (default SUSPECT_MS, 1.2 s). */
  suspectMs?: number
  /** Silence before dead (default DEAD_MS, 2.5 s). */
  deadMs?: number
  /** Mean period of sync rounds with a random peer (default ANTI_ENTROPY_MS, 5 s). */
  antiEntropyMs?: number
}

export interface GossipEvents {
  'node:alive': [{ id: string }]
  'node:suspect': [{ id: string }]
  'node:dead': [{ id: string }]
}

export interface Member {
  id: string
  state: MemberState
}

export interface GossipStats {
  beats: BeatStats
  /** Pulses: this node's sent from its pulse worker, the members' received (pulses.ts). */
  pulses: PulseStats
  sync: SyncStats
  replication: ReplicationStats
  /** Misbehaving peers: refusals by reason, disconnections, reset sync streams. */
  limits: LimitStats
}
