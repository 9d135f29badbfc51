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
 *   messages per node whatever the size), alive → suspect → dead. A node that is
 *   itself starved of CPU does not blame the members for its own lateness (Lifeguard).
 * - Pulses: a worker thread of each node signs a beat every heartbeat and sends it by
 *   UDP (on the p2p port number) to every member, and checks theirs. Its own thread
 *   is not stuck behind a starved main loop's backlog, so the others keep hearing a
 *   node whose loop still makes progress; 10 s without a check-in from that loop and
 *   the pulses stop, so a wedged node is still declared dead.
 * - No peer is trusted blindly: every member holds the cluster secret, so the secret
 *   is no boundary against a buggy or rogue member. An update from a peer is at most
 *   4 MiB, walked within a budget before Yjs applies it (crafted run-length bombs),
 *   and charged to its sender's rate limit; beats are signed by their member, so no
 *   relay can keep a crashed member alive; a peer that sends something malformed,
 *   oversize, flooding or forged is disconnected and refused for a while, with one
 *   warning naming why (`stats().limits` counts them).
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
export type { ClusterIdentity, GossipEvents, GossipInit, GossipStats, Member, MemberState } from './types.ts'
export type { LimitStats } from './peer-guard.ts'
export type { PulseStats } from './pulses.ts'
export type { Refusal } from './fault.ts'
export { ClusterIdMismatchError, ClusterSecretMismatchError } from './protector.ts'
export { loadOrCreateSecret, secretToToken, tokenToSecret, writeSecret, generateSecret } from './secret.ts'
export * as constants from './constants.ts'
