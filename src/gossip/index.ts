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
import type { GossipInit } from './types.ts'

/** A gossip component for the document, not started. */
export function gossip (init: GossipInit): Gossip {
  return new Gossip(init)
}

export { Gossip }
export type { GossipEvents, GossipInit, GossipStats, Member, MemberState } from './types.ts'
export { ClusterSecretMismatchError } from './protector.ts'
export { loadOrCreateSecret, secretToToken, tokenToSecret, writeSecret, generateSecret } from './secret.ts'
export * as constants from './constants.ts'
