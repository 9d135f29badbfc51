// This node's own updates on their way to gossip, held to SELF_RATE_SHARE of the rate
// its peers allow it: peers refuse a node that floods them, and a burst of API writes
// must not make an honest node look like one. Updates that have to wait are merged
// into one, sent as soon as the bucket allows.

import * as Y from 'yjs'
import { TokenBucket } from './token-bucket.ts'
import { updateCost } from './peer-guard.ts'
import { inspectUpdate } from './update-guard.ts'
import { MAX_GOSSIP_UPDATE_BYTES, PEER_UPDATE_BURST, PEER_UPDATE_RATE, SELF_RATE_SHARE } from './constants.ts'

export interface OutboxInit {
  /** Publishes one (possibly merged) update. */
  send: (update: Uint8Array) => void
  /** Takes an update gossip should not carry (too large once merged, or over what peers accept): sync carries it, or says why not. */
  bySync: (update: Uint8Array, reason: string) => void
}

/** Paces this node's published updates, merging what waits. */
export class Outbox {
  private readonly init: OutboxInit
  private readonly bucket = new TokenBucket(PEER_UPDATE_RATE * SELF_RATE_SHARE, PEER_UPDATE_BURST * SELF_RATE_SHARE, performance.now())
  private pending: Uint8Array[] = []
  private timer: NodeJS.Timeout | undefined

  constructor (init: OutboxInit) {
    this.init = init
  }

  /** Sends the update now if the pace allows, else with whatever else waits. */
  push (update: Uint8Array): void {
    this.pending.push(update)
    if (this.timer === undefined) this.flush()
  }

  /** Drops what waits (the document still has it: sync delivers it). */
  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.pending = []
  }

  /** How many updates wait. */
  get waiting (): number {
    return this.pending.length
  }

  private flush (): void {
    this.timer = undefined
    if (this.pending.length === 0) return
    const update = this.pending.length === 1 ? this.pending[0] as Uint8Array : Y.mergeUpdatesV2(this.pending)
    let cost: number
    try {
      cost = updateCost(update.byteLength, inspectUpdate(update))
    } catch (err) {
      this.pending = []
      this.init.bySync(update, (err as Error).message)
      return
    }
    if (update.byteLength > MAX_GOSSIP_UPDATE_BYTES || cost > this.bucket.burst) {
      this.pending = []
      this.init.bySync(update, `${update.byteLength} bytes costing ${cost} tokens, too large for gossip`)
      return
    }
    const now = performance.now()
    if (this.bucket.take(cost, now)) {
      this.pending = []
      this.init.send(update)
      return
    }
    this.pending = [update]
    this.timer = setTimeout(() => { this.flush() }, this.bucket.wait(cost, now))
    this.timer.unref()
  }
}
