// The gossip component: one libp2p host and the four parts that run on it —
// replication on the state topic, the sync protocol, membership (heartbeats and the
// failure detector) and the connector. start() brings them up in that order,
// stop() takes them down in reverse. Two plain objects are shared by the parts: the
// PeerGuard (rate limits, refused peers) and LocalHealth (this node's own stalls).

import { EventEmitter } from 'node:events'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { createHost } from './host.ts'
import { DocumentSync } from './sync.ts'
import { StateReplication } from './replication.ts'
import { Membership } from './membership.ts'
import { Connector } from './connector.ts'
import { parseJoinAddress } from './address.ts'
import { parseSecret } from './secret.ts'
import { PeerGuard } from './peer-guard.ts'
import { LocalHealth } from './local-health.ts'
import {
  BANNED_WARN_INTERVAL_MS,
  ANTI_ENTROPY_MS, BEAT_FANOUT, DEAD_MS, DIGEST_HORIZON_MS, HEARTBEAT_MS, MAX_STALL_CREDIT_MS,
  STALL_TOLERANCE_MS, STALL_WINDOW_MS, SUSPECT_MS
} from './constants.ts'
import type { Host } from './host.ts'
import type { MemberState } from './detector.ts'
import type { GossipEvents, GossipInit, GossipStats, Member } from './types.ts'
import type { DocumentChange } from '../crdt/index.ts'
import type { Logger } from '../logger.ts'
import { partLogger } from '../logger.ts'
import type { AbortOptions } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

interface Parts {
  host: Host
  sync: DocumentSync
  replication: StateReplication
  membership: Membership
  connector: Connector
  guard: PeerGuard
}

/** Replicates the cluster document over libp2p and tracks which members are alive. */
export class Gossip extends EventEmitter<GossipEvents> {
  readonly id: string
  private readonly init: GossipInit
  private readonly log: Logger
  private readonly join: Multiaddr[]
  private readonly timings: { heartbeatMs: number, suspectMs: number, deadMs: number, antiEntropyMs: number }
  private parts: Parts | undefined
  private starting: Promise<void> | undefined
  private memberIds = new Set<string>()
  private readonly bannedWarnedAt = new Map<string, number>()
  private readonly onChange = (change: DocumentChange): void => {
    if (change.nodes || change.removals) this.memberIds = this.currentMembers()
  }

  /** The document's members, less the removed ones. */
  private currentMembers (): Set<string> {
    return new Set(Object.keys(this.init.document.nodes()).filter((id) => !this.banned(id)))
  }

  /** Where the members (less the removed ones) listen. */
  private addresses (): Array<{ id: string, host: string, port: number }> {
    return Object.entries(this.init.document.nodes()).filter(([id]) => !this.banned(id)).map(([id, node]) => ({ id, host: node.host, port: node.p2pPort }))
  }

  /** A removed member: refused, never dialled (warned about once a minute). */
  private banned (id: string): boolean {
    if (this.init.banned?.(id) !== true) return false
    const now = Date.now()
    if (now - (this.bannedWarnedAt.get(id) ?? -Infinity) > BANNED_WARN_INTERVAL_MS) {
      if (this.bannedWarnedAt.size > 1000) this.bannedWarnedAt.clear()
      this.bannedWarnedAt.set(id, now)
      this.log.warn({ peer: id }, 'refusing a member that was removed from the cluster')
    }
    return true
  }

  constructor (init: GossipInit) {
    super()
    parseSecret(init.psk) // a malformed secret fails here, not in the middle of start()
    // Beats are signed with the node key; peer ids embed only Ed25519 keys whole.
    if (init.privateKey.type !== 'Ed25519') throw new Error(`the node key must be Ed25519 (it signs heartbeats), not ${init.privateKey.type}`)
    this.init = init
    this.log = init.log
    this.id = peerIdFromPrivateKey(init.privateKey).toString()
    this.join = (init.join ?? []).map(parseJoinAddress)
    this.timings = {
      heartbeatMs: init.heartbeatMs ?? HEARTBEAT_MS,
      suspectMs: init.suspectMs ?? SUSPECT_MS,
      deadMs: init.deadMs ?? DEAD_MS,
      antiEntropyMs: init.antiEntropyMs ?? ANTI_ENTROPY_MS
    }
    const { heartbeatMs, suspectMs, deadMs } = this.timings
    if (!(heartbeatMs > 0 && suspectMs > heartbeatMs && deadMs > suspectMs)) {
      throw new Error(`gossip timings must satisfy 0 < heartbeatMs < suspectMs < deadMs (got ${heartbeatMs}, ${suspectMs}, ${deadMs})`)
    }
  }

  /** Listens, joins and starts replicating. Idempotent; throws (and cleans up) when the address is taken. */
  async start (): Promise<void> {
    if (this.parts !== undefined) return
    this.starting ??= this.startParts().finally(() => { this.starting = undefined })
    await this.starting
  }

  /** Leaves the mesh: stops every loop and closes every connection. Idempotent. */
  async stop (): Promise<void> {
    await this.starting?.catch(() => {})
    const parts = this.parts
    if (parts === undefined) return
    this.parts = undefined
    this.init.document.off('change', this.onChange)
    parts.connector.stop()
    await parts.membership.stop()
    parts.replication.stop()
    await parts.sync.stop()
    await parts.host.stop()
    this.log.info({ id: this.id }, 'gossip stopped')
  }

  /** A member's liveness: self is always alive, an id this node never heard of is dead. */
  memberState (id: string): MemberState {
    if (id === this.id) return 'alive'
    return this.parts?.membership.state(id) ?? (this.memberIds.has(id) ? 'suspect' : 'dead')
  }

  /** Every member of the document with its state, in id order. */
  members (): Member[] {
    return Object.keys(this.init.document.nodes()).map(id => ({ id, state: this.memberState(id) }))
  }

  /** How many peers this node has at least one open connection to. */
  connections (): number {
    return this.parts?.host.getPeers().length ?? 0
  }

  /** One sync exchange with peerId, or with a random connected peer; throws when there is none. */
  async syncWith (peerId?: string, options: AbortOptions = {}): Promise<void> {
    const parts = this.requireStarted()
    const peers = parts.host.getPeers()
    const peer = peerId === undefined ? peers[Math.floor(Math.random() * peers.length)] : peerIdFromString(peerId)
    if (peer === undefined) throw new Error('no connected peer to sync with')
    await parts.sync.syncWith(peer, options)
  }

  /** Counters for benchmarks and metrics. */
  stats (): GossipStats {
    const parts = this.parts
    return {
      beats: { ...(parts?.membership.links.stats ?? { sent: 0, received: 0, skipped: 0 }) },
      pulses: parts?.membership.pulses.stats ?? { sent: 0, received: 0, taken: 0, forged: 0, stale: 0, strangers: 0, malformed: 0, limited: 0, lapsed: 0 },
      sync: { ...(parts?.sync.stats ?? { rounds: 0, bytesIn: 0, bytesOut: 0 }) },
      replication: parts?.replication.stats ?? { published: 0, oversized: 0, received: 0, waiting: 0 },
      limits: parts?.guard.stats ?? { refused: { oversize: 0, malformed: 0, flood: 0, 'forged-beat': 0 }, disconnected: 0, resetStreams: 0, refusing: 0 }
    }
  }

  private requireStarted (): Parts {
    if (this.parts === undefined) throw new Error('gossip is not started')
    return this.parts
  }

  private async startParts (): Promise<void> {
    const { document } = this.init
    // Stalls older than the digest horizon concern no member anyone still waits for.
    const health = new LocalHealth({ toleranceMs: STALL_TOLERANCE_MS, windowMs: STALL_WINDOW_MS, maxCreditMs: MAX_STALL_CREDIT_MS, retainMs: DIGEST_HORIZON_MS })
    const guard: PeerGuard = new PeerGuard({
      log: partLogger(this.log, 'gossip:guard'),
      stalled: (since, now) => health.stalled(since, now),
      hangUp: peer => { this.hangUp(host, peer) }
    })
    const host = await createHost({ ...this.init, mdns: this.init.mdns ?? false, log: partLogger(this.log, 'gossip:secret'), refusing: peer => guard.refusing(peer) || this.banned(peer) })
    const sync = new DocumentSync({ node: host, document, guard, log: partLogger(this.log, 'gossip:sync'), antiEntropyMs: this.timings.antiEntropyMs })
    const replication = new StateReplication({
      pubsub: host.services.pubsub,
      document,
      sync,
      guard,
      known: peer => this.memberIds.has(peer) || host.getConnections(peerIdFromString(peer)).length > 0,
      log: partLogger(this.log, 'gossip:replication')
    })
    const membership = new Membership({
      ...this.timings,
      self: this.id,
      privateKey: this.init.privateKey,
      node: host,
      guard,
      health,
      members: () => this.memberIds,
      addresses: () => this.addresses(),
      host: this.init.host,
      port: this.init.port,
      log: partLogger(this.log, 'gossip:membership'),
      fanout: BEAT_FANOUT,
      onChange: (id, state) => {
        this.emitTransition(id, state)
        if (state === 'dead') this.hangUp(host, id)
      }
    })
    const connector = new Connector({
      node: host,
      self: this.id,
      join: this.join,
      members: () => this.addresses(),
      mdns: this.init.mdns ?? false,
      refusing: peer => guard.refusing(peer) || this.banned(peer),
      log: partLogger(this.log, 'gossip:connector')
    })
    this.memberIds = this.currentMembers()
    document.on('change', this.onChange)
    try {
      await host.start()
      await sync.start()
      replication.start()
      await membership.start()
      connector.start()
    } catch (err) {
      document.off('change', this.onChange)
      connector.stop()
      await membership.stop().catch(() => {})
      replication.stop()
      await sync.stop().catch(() => {})
      await Promise.resolve(host.stop()).catch(() => {})
      throw err
    }
    this.parts = { host, sync, replication, membership, connector, guard }
    this.log.info({ id: this.id, addrs: host.getMultiaddrs().map(String), join: this.join.map(String) }, 'gossip started')
  }

  // A connection to a member declared dead is stale at best: crashed, or cut off by
  // a partition, where TCP's retransmission backoff would hold the first bytes after
  // the heal for up to the partition's length. Closing it hands reconnection to the
  // connector (backoff capped at RECONNECT_MAX_MS), and reconnecting syncs. A refused
  // peer is hung up on the same way.
  private hangUp (host: Host, id: string): void {
    if (host.getConnections(peerIdFromString(id)).length === 0) return
    Promise.resolve(host.hangUp(peerIdFromString(id), { signal: AbortSignal.timeout(1000) }))
      .catch(err => { this.log.debug({ err, member: id }, 'cannot close the connections to a peer') })
  }

  private emitTransition (id: string, state: MemberState): void {
    this.log.info({ member: id, state }, `member ${state}`)
    try {
      this.emit(`node:${state}`, { id })
    } catch (err) {
      this.log.error({ err, member: id, state }, 'a membership listener threw')
    }
  }
}
