// The merged event stream of the whole cluster, for one reader of GET /v1/events:
// this node's events and every member's (member-stream.ts). First the recent history
// of all, in time order — each member is waited for at most MEMBER_TIMEOUT_MS, then
// reported unreachable — then live events as they arrive. A member whose stream ends
// is reported once and dialled again every RESUBSCRIBE_MS (from the last event it
// sent); members that join later are found as often. Copies are dropped (merge.ts).

import type { Logger } from '../../logger.ts'
import type { EventBus } from './bus.ts'
import { MEMBER_TIMEOUT_MS, RESUBSCRIBE_MS, RING_SIZE } from './constants.ts'
import { Deduper, mergeHistories } from './merge.ts'
import { openMemberStream } from './member-stream.ts'
import type { MemberPeer } from './member-stream.ts'
import { matches } from './types.ts'
import type { EventFilter, MeshEvent } from './types.ts'

export interface FeedInit {
  bus: EventBus
  /** The other members, as the view knows them now. */
  members: () => MemberPeer[]
  /** A fresh member ticket (one per request). */
  ticket: () => string
  localAddress?: string
  filter: EventFilter
  /** Where the merged stream goes. */
  send: (event: MeshEvent) => void
  unreachable: (node: string) => void
  log?: Logger
  /** Timings (tests). */
  timeoutMs?: number
  resubscribeMs?: number
}

interface Subscription {
  peer: MemberPeer
  close: () => void
  live: boolean
  /** Reported unreachable in this outage. */
  reported: boolean
  history: MeshEvent[]
  /** The newest event time it sent: a new subscription asks from there. */
  lastTime?: number
  timer?: NodeJS.Timeout
}

export class ClusterFeed {
  private readonly init: FeedInit
  private readonly dedupe = new Deduper()
  private readonly subs = new Map<string, Subscription>()
  /** Live events held while the history is gathered (bounded: the oldest go first). */
  private held: MeshEvent[] | undefined = []
  private unsubscribe: (() => void) | undefined
  private sweep: NodeJS.Timeout | undefined
  private stopped = false

  constructor (init: FeedInit) {
    this.init = init
  }

  /** Sends the history, then keeps sending live events until stop(). */
  async start (): Promise<void> {
    const { bus, filter } = this.init
    this.unsubscribe = bus.subscribe((event) => { if (matches(event, filter)) this.offer(event) })
    const local = bus.recent(filter)
    for (const peer of this.init.members()) this.subscribe(peer)
    await this.historyGathered()
    if (this.stopped) return
    const histories = [local, ...[...this.subs.values()].map((sub) => sub.history.splice(0))]
    for (const event of mergeHistories(histories, this.dedupe)) this.init.send(event)
    for (const sub of this.subs.values()) {
      if (sub.live) continue
      if (sub.timer === undefined) this.down(sub, 'no answer')
      else this.report(sub, 'no answer')
    }
    const held = this.held ?? []
    this.held = undefined
    for (const event of held) this.pass(event)
    this.sweep = setInterval(() => { this.refresh() }, this.init.resubscribeMs ?? RESUBSCRIBE_MS)
  }

  stop (): void {
    this.stopped = true
    this.unsubscribe?.()
    clearInterval(this.sweep)
    for (const sub of this.subs.values()) {
      clearTimeout(sub.timer)
      sub.close()
    }
    this.subs.clear()
  }

  /** Resolves once every member caught up, or after the timeout. */
  private async historyGathered (): Promise<void> {
    const deadline = Date.now() + (this.init.timeoutMs ?? MEMBER_TIMEOUT_MS)
    while (!this.stopped && Date.now() < deadline && [...this.subs.values()].some((sub) => !sub.live && sub.timer === undefined)) {
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  private subscribe (peer: MemberPeer, since?: number): void {
    const filter = { ...this.init.filter, ...(since === undefined ? {} : { since: Math.max(since, this.init.filter.since ?? 0) }) }
    const previous = this.subs.get(peer.id)
    const sub: Subscription = { peer, close: () => {}, live: false, reported: previous?.reported ?? false, history: [], ...(previous?.lastTime === undefined ? {} : { lastTime: previous.lastTime }) }
    this.subs.set(peer.id, sub)
    const init = { ticket: this.init.ticket(), ...(this.init.localAddress === undefined ? {} : { localAddress: this.init.localAddress }) }
    let timeout: NodeJS.Timeout | undefined
    sub.close = openMemberStream(peer, filter, init, {
      event: (event) => {
        sub.lastTime = Math.max(sub.lastTime ?? 0, event.time)
        if (sub.live) this.offer(event)
        else if (sub.history.length < RING_SIZE) sub.history.push(event)
      },
      caughtUp: () => {
        clearTimeout(timeout)
        sub.live = true
        sub.reported = false
        // A member that answers after the history was sent: its history now, in its own order.
        if (this.held === undefined) for (const event of mergeHistories([sub.history.splice(0)], this.dedupe)) this.init.send(event)
      },
      closed: (why) => {
        clearTimeout(timeout)
        if (this.subs.get(peer.id) === sub) this.down(sub, why)
      }
    })
    // During the history a member has MEMBER_TIMEOUT_MS; once live, the stream's own idle timeout watches it.
    if (this.held === undefined) {
      timeout = setTimeout(() => { if (!sub.live && this.subs.get(peer.id) === sub) this.down(sub, 'no answer') }, this.init.timeoutMs ?? MEMBER_TIMEOUT_MS)
    }
  }

  /** A member's stream is gone: report it (once per outage) and dial it again later. */
  private down (sub: Subscription, why: string): void {
    if (this.stopped || sub.timer !== undefined) return
    sub.close()
    sub.live = false
    sub.history = []
    if (this.held === undefined) this.report(sub, why)
    sub.timer = setTimeout(() => {
      sub.timer = undefined
      if (this.stopped || this.subs.get(sub.peer.id) !== sub) return
      const peer = this.init.members().find((p) => p.id === sub.peer.id)
      if (peer === undefined) this.subs.delete(sub.peer.id)
      else this.subscribe(peer, sub.lastTime)
    }, this.init.resubscribeMs ?? RESUBSCRIBE_MS)
  }

  /** Tells the reader a member does not answer, once per outage (the history is sent first). */
  private report (sub: Subscription, why: string): void {
    if (sub.reported) return
    sub.reported = true
    this.init.log?.debug({ member: sub.peer.name, why }, 'member event stream unreachable')
    this.init.unreachable(sub.peer.name)
  }

  /** New members are subscribed; removed ones dropped. */
  private refresh (): void {
    const members = this.init.members()
    const ids = new Set(members.map((p) => p.id))
    for (const [id, sub] of this.subs) {
      if (ids.has(id)) continue
      clearTimeout(sub.timer)
      sub.close()
      this.subs.delete(id)
    }
    for (const peer of members) if (!this.subs.has(peer.id)) this.subscribe(peer)
  }

  private offer (event: MeshEvent): void {
    if (this.held === undefined) this.pass(event)
    else {
      this.held.push(event)
      if (this.held.length > RING_SIZE) this.held.shift()
    }
  }

  private pass (event: MeshEvent): void {
    if (this.dedupe.admit(event)) this.init.send(event)
  }
}
