// Replication on the state topic: every update written on this node is published,
// every update received is applied with the sender's peer id as origin (so it is not
// published again: gossipsub forwards it). Gossip is the fast path only; whatever
// it drops (a peer not yet subscribed, an update over MAX_GOSSIP_UPDATE_BYTES) the
// sync protocol delivers.

import { LOCAL } from '../crdt/index.ts'
import { MAX_GOSSIP_UPDATE_BYTES, STATE_TOPIC } from './constants.ts'
import type { DocumentSync } from './sync.ts'
import type { ClusterDocument } from '../crdt/index.ts'
import type { Logger } from '../logger.ts'
import type { GossipSub, Message, SubscriptionChangeData } from '@libp2p/gossipsub'

export interface StateReplicationInit {
  pubsub: GossipSub
  document: ClusterDocument
  sync: DocumentSync
  log: Logger
}

export interface ReplicationStats {
  published: number
  /** Local updates too large for gossip, carried by sync rounds instead. */
  oversized: number
  received: number
}

/** Publishes local document updates on the state topic and applies received ones. */
export class StateReplication {
  readonly stats: ReplicationStats = { published: 0, oversized: 0, received: 0 }
  private readonly init: StateReplicationInit
  private started = false

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin !== LOCAL) return
    if (update.byteLength > MAX_GOSSIP_UPDATE_BYTES) {
      this.stats.oversized += 1
      this.init.sync.syncAll()
      return
    }
    this.stats.published += 1
    this.init.pubsub.publish(STATE_TOPIC, update)
      .catch(err => { this.init.log.error({ err }, 'cannot publish a document update (anti-entropy will carry it)') })
  }

  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    const message = evt.detail
    if (message.topic !== STATE_TOPIC) return
    this.stats.received += 1
    const origin = message.type === 'signed' ? message.from.toString() : 'gossip'
    try {
      this.init.document.applyUpdate(message.data, origin)
    } catch (err) {
      this.init.log.warn({ err, from: origin }, 'cannot apply a document update received on gossip')
    }
  }

  // Updates published before gossipsub learned that this peer subscribed went to
  // nobody: a sync with it right now delivers them.
  private readonly onSubscriptionChange = (evt: CustomEvent<SubscriptionChangeData>): void => {
    const joined = evt.detail.subscriptions.some(sub => sub.topic === STATE_TOPIC && sub.subscribe)
    if (joined) this.init.sync.syncSoon(evt.detail.peerId)
  }

  constructor (init: StateReplicationInit) {
    this.init = init
  }

  start (): void {
    if (this.started) return
    this.started = true
    this.init.pubsub.addEventListener('message', this.onMessage)
    this.init.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.init.pubsub.subscribe(STATE_TOPIC)
    this.init.document.on('update', this.onUpdate)
  }

  stop (): void {
    if (!this.started) return
    this.started = false
    this.init.document.off('update', this.onUpdate)
    this.init.pubsub.unsubscribe(STATE_TOPIC)
    this.init.pubsub.removeEventListener('message', this.onMessage)
    this.init.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
  }
}
