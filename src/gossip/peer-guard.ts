// What this node does about peers it cannot trust blindly. Every member holds the
// cluster secret, so the secret keeps strangers out but says nothing about a buggy or
// rogue member. Updates and heartbeat digests are charged to their sender's token
// buckets, and a peer that sends something malformed, oversize, flooding or forged is
// disconnected and refused for REFUSE_PEER_MS (the connection gater asks refusing()),
// with one warning naming the reason.

import { REFUSALS } from './fault.ts'
import { TokenBucket } from './token-bucket.ts'
import {
  PEER_DIGEST_BURST, PEER_DIGEST_RATE, PEER_UPDATE_BURST, PEER_UPDATE_RATE, REFUSE_PEER_MS,
  UPDATE_TOKEN_BYTES, UPDATE_TOKEN_ELEMENTS
} from './constants.ts'
import type { PeerFault, Refusal } from './fault.ts'
import type { Logger } from '../logger.ts'

// Past this many buckets, those of peers quiet long enough to refill are dropped.
const BUCKETS_BEFORE_SWEEP = 1024

export interface PeerGuardInit {
  log: Logger
  /** Closes every connection to the peer. */
  hangUp: (peer: string) => void
  /** How long this node itself stalled within (since, now] (LocalHealth.stalled). */
  stalled: (since: number, now: number) => number
  /** A monotonic clock in ms (default performance.now). */
  now?: () => number
  /** How long a refused peer stays refused (default REFUSE_PEER_MS). */
  refuseMs?: number
}

export interface LimitStats {
  /** Faults by reason: each refused update, digest or beat counts once. */
  refused: Record<Refusal, number>
  /** Times a peer was disconnected and refused for a while. */
  disconnected: number
  /** Sync streams reset because their peer had MAX_INBOUND_SYNC_STREAMS open already. */
  resetStreams: number
  /** Peers refused right now. */
  refusing: number
}

/** The tokens an update costs: 1, plus 1 per UPDATE_TOKEN_ELEMENTS elements and per UPDATE_TOKEN_BYTES. */
export function updateCost (bytes: number, elements: number): number {
  return 1 + Math.floor(elements / UPDATE_TOKEN_ELEMENTS) + Math.floor(bytes / UPDATE_TOKEN_BYTES)
}

/** Per-peer rate limits and the list of peers refused for a while. */
export class PeerGuard {
  private readonly init: PeerGuardInit
  private readonly now: () => number
  private readonly refuseMs: number
  private readonly counts = {
    refused: Object.fromEntries(REFUSALS.map(reason => [reason, 0])) as Record<Refusal, number>,
    disconnected: 0,
    resetStreams: 0
  }

  private readonly refusedUntil = new Map<string, number>()
  private readonly updates = new Map<string, TokenBucket>()
  private readonly digests = new Map<string, TokenBucket>()

  constructor (init: PeerGuardInit) {
    this.init = init
    this.now = init.now ?? (() => performance.now())
    this.refuseMs = init.refuseMs ?? REFUSE_PEER_MS
  }

  /** A copy of the counters. */
  get stats (): LimitStats {
    const now = this.now()
    let refusing = 0
    for (const until of this.refusedUntil.values()) if (until > now) refusing += 1
    return { refused: { ...this.counts.refused }, disconnected: this.counts.disconnected, resetStreams: this.counts.resetStreams, refusing }
  }

  /** True while the peer is refused: its connections are denied, its updates dropped. */
  refusing (peer: string): boolean {
    const until = this.refusedUntil.get(peer)
    if (until === undefined) return false
    if (until > this.now()) return true
    this.refusedUntil.delete(peer)
    return false
  }

  /** Charges an update of `cost` tokens (updateCost) to the peer; false when it would exceed its rate. */
  admitUpdate (peer: string, cost: number): boolean {
    return this.take(this.updates, peer, cost, PEER_UPDATE_RATE, PEER_UPDATE_BURST)
  }

  /** Charges one heartbeat digest to the peer; false when it would exceed its rate. */
  admitDigest (peer: string): boolean {
    return this.take(this.digests, peer, 1, PEER_DIGEST_RATE, PEER_DIGEST_BURST)
  }

  /**
   * Counts the fault; unless the peer is refused already, refuses it for refuseMs,
   * closes its connections and says why, once.
   */
  refuse (peer: string, fault: PeerFault): void {
    this.counts.refused[fault.reason] += 1
    if (this.refusing(peer)) {
      this.init.log.debug({ peer, reason: fault.reason, err: fault.message }, 'a refused peer misbehaved again')
      return
    }
    this.refusedUntil.set(peer, this.now() + this.refuseMs)
    this.counts.disconnected += 1
    this.init.log.warn({ peer, reason: fault.reason, err: fault.message },
      `peer disconnected and refused for ${Math.round(this.refuseMs / 1000)} s (${fault.reason}): ${fault.message}`)
    try {
      this.init.hangUp(peer)
    } catch (err) {
      this.init.log.debug({ err, peer }, 'cannot close the connections of a refused peer')
    }
  }

  /** Counts a sync stream reset because the peer had too many open. */
  resetStream (peer: string): void {
    this.counts.resetStreams += 1
    this.init.log.debug({ peer }, 'sync stream reset: the peer has too many open')
  }

  private take (buckets: Map<string, TokenBucket>, peer: string, cost: number, rate: number, burst: number): boolean {
    const now = this.now()
    let bucket = buckets.get(peer)
    if (bucket === undefined) {
      // The map holds only peers that sent something recently.
      if (buckets.size >= BUCKETS_BEFORE_SWEEP) for (const [id, idle] of buckets) if (idle.full(now)) buckets.delete(id)
      bucket = new TokenBucket(rate, burst, now)
      buckets.set(peer, bucket)
    }
    return bucket.take(cost, now, this.init.stalled)
  }
}
