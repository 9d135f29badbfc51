/**
 * The gossip layer of meshd: a libp2p host (TCP, pnet cluster secret, noise, yamux,
 * identify, ping, gossipsub, optional mDNS) that replicates the cluster document and
 * tells which members are alive.
 *
 * - Replication: local Yjs updates are published on a gossipsub topic; updates over
 *   256 KiB skip gossip and travel by sync instead. A sync protocol exchanges state
 *   vectors and missing diffs on every new connection, every antiEntropyMs with a
 *   random peer, when a peer subscribes, and onwards to a few peers whenever a sync
 *   brought news, so a node that was away or cut off catches up.
 * - Connections: the members of the document and the join addresses are redialled
 *   with backoff until connected, so the mesh re-forms after restarts and partitions;
 *   the connection to a member declared dead is closed (stale TCP would hold the
 *   first bytes after a heal back for seconds).
 * - Failure detection: gossip-style heartbeats, push-pull (each node exchanges its
 *   table of beat counters with BEAT_FANOUT random peers per heartbeat: O(1)
 *   messages per node whatever the size), alive → suspect → dead.
 *
 * @example
 * ```ts
 * const g = gossip({ privateKey, host: '10.0.0.5', port: 7001, psk, document, join: ['10.0.0.4:7001'], log })
 * g.on('node:dead', ({ id }) => { reconciler.markDirty() })
 * await g.start()
 * ```
 */

import { Gossip } from './gossip.ts'
import type { MemberState } from './detector.ts'
import type { BeatStats } from './beat-links.ts'
import type { ReplicationStats } from './replication.ts'
import type { SyncStats } from './sync.ts'
import type { ClusterDocument, Logger } from '../crdt/index.ts'
import type { PrivateKey } from '@libp2p/interface'

export interface GossipInit {
  /** The node's libp2p key (src/node/identity.ts); its peer id is the member id. */
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
  sync: SyncStats
  replication: ReplicationStats
}

/** A gossip component for the document, not started. */
export function gossip (init: GossipInit): Gossip {
  return new Gossip(init)
}

export { Gossip }
export type { MemberState }
export { ClusterSecretMismatchError } from './protector.ts'
export { loadOrCreateSecret, secretToToken, tokenToSecret, writeSecret, generateSecret } from './secret.ts'
export * as constants from './constants.ts'
