// Replication on the state topic: every update written on this node is published
// (paced by the Outbox), every update received is applied with the sender's peer id
// as origin (so it is not published again: gossipsub forwards it). Gossip is the fast
// path only; whatever it drops (a peer not yet subscribed, an update over
// MAX_GOSSIP_UPDATE_BYTES, one refused) the sync protocol delivers.
//
// A received update is checked by the topic validator, which gossipsub runs before it
// delivers or forwards anything: the update guard's walk, then the rate limit of its
// publisher (gossipsub's signature makes `from` authentic). Blame goes to the
// publisher, never to the relay: honest nodes forward only what they accepted. A
// publisher that is neither a member nor connected is a stranger (a node that just
// joined elsewhere, or a rogue signing with fresh keys to dodge its rate limit): its
// updates are ignored here, and sync brings them from the peers that know it.

import { LOCAL } from '../crdt/index.ts'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { Outbox } from './outbox.ts'
import { PeerFault } from './fault.ts'
import { updateCost } from './peer-guard.ts'
import { inspectUpdate } from './update-guard.ts'
import { MAX_GOSSIP_UPDATE_BYTES, STATE_TOPIC } from './constants.ts'
import type { DocumentSync } from './sync.ts'
import type { PeerGuard } from './peer-guard.ts'
import type { ClusterDocument } from '../crdt/index.ts'
import type { Logger } from '../logger.ts'
import type { GossipSub, Message, SubscriptionChangeData } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

export interface StateReplicationInit {
  pubsub: GossipSub
  document: ClusterDocument
  sync: DocumentSync
  log: Logger
  guard: PeerGuard
  /** True for a member of the document or a connected peer. */
  known: (peer: string) => boolean
}

export interface ReplicationStats {
  published: number
  /** Local updates too large for gossip, carried by sync rounds instead. */
  oversized: number
  /** Updates received and applied. */
  received: number
  /** Local updates waiting for the publishing pace (merged when sent). */
  waiting: number
}

/** Publishes local document updates on the state topic and applies received ones. */
export class StateReplication {
  private readonly counts = { published: 0, oversized: 0, received: 0 }
  private readonly init: StateReplicationInit
  private readonly outbox: Outbox
  private started = false

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin !== LOCAL) return
    if (update.byteLength > MAX_GOSSIP_UPDATE_BYTES) {
      this.counts.oversized += 1
      this.init.sync.syncAll()
      return
    }
    this.outbox.push(update)
  }

  private readonly validate = (_source: PeerId, message: Message): TopicValidatorResult => {
    if (message.type !== 'signed') return TopicValidatorResult.Reject
    const publisher = message.from.toString()
    if (this.init.guard.refusing(publisher)) return TopicValidatorResult.Ignore
    if (!this.init.known(publisher)) return TopicValidatorResult.Ignore
    try {
      const elements = inspectUpdate(message.data)
      if (!this.init.guard.admitUpdate(publisher, updateCost(message.data.byteLength, elements))) {
        throw new PeerFault('flood', `gossip updates beyond the rate limit (${message.data.byteLength} bytes, ${elements} elements)`)
      }
      return TopicValidatorResult.Accept
    } catch (err) {
      if (!(err instanceof PeerFault)) throw err
      this.init.guard.refuse(publisher, err)
      return err.reason === 'flood' ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
    }
  }

  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    const message = evt.detail
    if (message.topic !== STATE_TOPIC) return
    this.counts.received += 1
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
    this.outbox = new Outbox({
      send: update => {
        this.counts.published += 1
        this.init.pubsub.publish(STATE_TOPIC, update)
          .catch(err => { this.init.log.error({ err }, 'cannot publish a document update (anti-entropy will carry it)') })
      },
      bySync: (update, reason) => {
        this.init.log.debug({ bytes: update.byteLength, reason }, 'local updates too large for gossip: sync carries them')
        this.counts.oversized += 1
        this.init.sync.syncAll()
      }
    })
  }

  get stats (): ReplicationStats {
    return { ...this.counts, waiting: this.outbox.waiting }
  }

  start (): void {
    if (this.started) return
    this.started = true
    this.init.pubsub.topicValidators.set(STATE_TOPIC, this.validate)
    this.init.pubsub.addEventListener('message', this.onMessage)
    this.init.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.init.pubsub.subscribe(STATE_TOPIC)
    this.init.document.on('update', this.onUpdate)
  }

  stop (): void {
    if (!this.started) return
    this.started = false
    this.init.document.off('update', this.onUpdate)
    this.outbox.stop()
    this.init.pubsub.unsubscribe(STATE_TOPIC)
    this.init.pubsub.topicValidators.delete(STATE_TOPIC)
    this.init.pubsub.removeEventListener('message', this.onMessage)
    this.init.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
  }
}
