// Anti-entropy: the backstop that makes replication complete whatever gossip lost.
// One exchange swaps state vectors and sends each side the diff it is missing, both
// directions on one stream:
//
//   initiator                      responder
//     VECTOR(mine)        ──►
//                         ◄──      VECTOR(theirs), DIFF…, DIFF_END
//     DIFF…, DIFF_END     ──►
//
// It runs on every new connection (after identify), every antiEntropyMs with one
// random peer, and on demand (updates too large for gossip, subscriptions, and
// relaying what a sync brought).
//
// A diff is the peer's word, checked before it touches the document: at most
// MAX_UPDATE_BYTES, walked by the update guard, charged to the peer's rate limit. A
// peer failing any of these is refused (PeerGuard); one with more than
// MAX_INBOUND_SYNC_STREAMS exchanges open towards this node has further ones reset.

import { FrameReader, writeFrame } from './frames.ts'
import { FRAME, expectFrame, receiveDiff, sendDiff } from './sync-frames.ts'
import { PeerFault } from './fault.ts'
import { inspectUpdate } from './update-guard.ts'
import { updateCost } from './peer-guard.ts'
import { MAX_FRAME_BYTES, MAX_INBOUND_SYNC_STREAMS, SYNC_PROTOCOL, SYNC_RELAY_FANOUT, SYNC_TIMEOUT_MS } from './constants.ts'
import type { PeerGuard } from './peer-guard.ts'
import type { ClusterDocument } from '../crdt/index.ts'
import type { Logger } from '../logger.ts'
import type { AbortOptions, Connection, Libp2p, MessageStream, PeerId, Stream } from '@libp2p/interface'

export interface DocumentSyncInit {
  node: Pick<Libp2p, 'handle' | 'unhandle' | 'register' | 'unregister' | 'dialProtocol' | 'getPeers'>
  document: ClusterDocument
  log: Logger
  antiEntropyMs: number
  guard: PeerGuard
}

export interface SyncStats {
  /** Exchanges completed, either side. */
  rounds: number
  /** Diff bytes received and applied. */
  bytesIn: number
  /** Diff bytes sent. */
  bytesOut: number
}

interface Flight { promise: Promise<void>, again: boolean }

/** Runs the sync protocol: answers peers, and starts exchanges on connect, on a timer and on demand. */
export class DocumentSync {
  readonly stats: SyncStats = { rounds: 0, bytesIn: 0, bytesOut: 0 }
  private readonly init: DocumentSyncInit
  private readonly log: Logger
  private readonly flights = new Map<string, Flight>()
  /** Exchanges each peer has open towards this node. */
  private readonly inbound = new Map<string, number>()
  private outgrownSaid = false
  private topologyId: string | undefined
  private timer: NodeJS.Timeout | undefined
  private controller = new AbortController()
  private started = false

  constructor (init: DocumentSyncInit) {
    this.init = init
    this.log = init.log
  }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    this.controller = new AbortController()
    await this.init.node.handle(SYNC_PROTOCOL, (stream, connection) => { this.answer(stream, connection) })
    this.topologyId = await this.init.node.register(SYNC_PROTOCOL, {
      onConnect: (peer) => { this.syncSoon(peer) }
    })
    // A random first delay, so nodes started together do not sync in lockstep.
    this.schedule(Math.random() * this.init.antiEntropyMs)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    clearTimeout(this.timer)
    this.controller.abort(new Error('gossip stopped'))
    if (this.topologyId !== undefined) this.init.node.unregister(this.topologyId)
    await this.init.node.unhandle(SYNC_PROTOCOL)
    await Promise.allSettled([...this.flights.values()].map(async flight => await flight.promise))
  }

  /**
   * One exchange with peer; if one is already running, one more right after it (the
   * caller's reason to sync may postdate what the running one sent).
   */
  async syncWith (peer: PeerId, options: AbortOptions = {}): Promise<void> {
    const key = peer.toString()
    const running = this.flights.get(key)
    if (running !== undefined) {
      running.again = true
      await running.promise
      return
    }
    const flight: Flight = { promise: Promise.resolve(), again: false }
    flight.promise = (async () => {
      try {
        do {
          flight.again = false
          await this.initiate(peer, options)
        } while (flight.again && this.started)
      } finally {
        this.flights.delete(key)
      }
    })()
    this.flights.set(key, flight)
    await flight.promise
  }

  /** Fire-and-forget syncWith. */
  syncSoon (peer: PeerId): void {
    if (!this.started) return
    this.syncWith(peer).catch(err => {
      if (this.started) this.log.debug({ err, peer: peer.toString() }, 'sync with a peer failed')
    })
  }

  /** Starts an exchange with every connected peer (after an update too large for gossip). */
  syncAll (): void {
    for (const peer of this.init.node.getPeers()) this.syncSoon(peer)
  }

  private schedule (delay: number): void {
    this.timer = setTimeout(() => {
      const peers = this.init.node.getPeers()
      const peer = peers[Math.floor(Math.random() * peers.length)]
      if (peer !== undefined) this.syncSoon(peer)
      // Jittered period: [0.5, 1.5) × antiEntropyMs keeps nodes from synchronising.
      if (this.started) this.schedule(this.init.antiEntropyMs * (0.5 + Math.random()))
    }, delay)
    this.timer.unref()
  }

  private answer (stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer.toString()
    const open = this.inbound.get(peer) ?? 0
    if (open >= MAX_INBOUND_SYNC_STREAMS || this.init.guard.refusing(peer)) {
      stream.abort(new Error('too many sync exchanges open, or the peer is refused'))
      if (open >= MAX_INBOUND_SYNC_STREAMS) this.init.guard.resetStream(peer)
      return
    }
    this.inbound.set(peer, open + 1)
    this.respond(stream, connection)
      .catch(err => { this.log.debug({ err, peer }, 'sync with a peer failed (responder)') })
      .finally(() => {
        const left = (this.inbound.get(peer) ?? 1) - 1
        if (left > 0) this.inbound.set(peer, left)
        else this.inbound.delete(peer)
      })
  }

  private async initiate (peer: PeerId, options: AbortOptions): Promise<void> {
    const signal = this.exchangeSignal(options.signal)
    const stream = await this.init.node.dialProtocol(peer, SYNC_PROTOCOL, { signal })
    await this.run(stream, peer, signal, async () => {
      const frames = new FrameReader(stream, MAX_FRAME_BYTES)
      await writeFrame(stream, FRAME.vector, this.init.document.encodeStateVector(), { signal })
      const theirVector = await expectFrame(frames, FRAME.vector)
      const missing = await receiveDiff(frames)
      await this.writeDiff(stream, this.init.document.encodeDiff(theirVector), signal)
      await stream.close({ signal })
      this.apply(missing, peer)
    })
  }

  private async respond (stream: Stream, connection: Connection): Promise<void> {
    const signal = this.exchangeSignal()
    await this.run(stream, connection.remotePeer, signal, async () => {
      const frames = new FrameReader(stream, MAX_FRAME_BYTES)
      const theirVector = await expectFrame(frames, FRAME.vector)
      await writeFrame(stream, FRAME.vector, this.init.document.encodeStateVector(), { signal })
      await this.writeDiff(stream, this.init.document.encodeDiff(theirVector), signal)
      const missing = await receiveDiff(frames)
      await stream.close({ signal })
      this.apply(missing, connection.remotePeer)
    })
  }

  private exchangeSignal (signal?: AbortSignal): AbortSignal {
    const signals = [this.controller.signal, AbortSignal.timeout(SYNC_TIMEOUT_MS)]
    if (signal !== undefined) signals.push(signal)
    return AbortSignal.any(signals)
  }

  // Aborting the stream is what unblocks a pending read when the signal fires. A
  // peer's fault refuses the peer.
  private async run (stream: MessageStream, peer: PeerId, signal: AbortSignal, exchange: () => Promise<void>): Promise<void> {
    const onAbort = (): void => { stream.abort(signal.reason instanceof Error ? signal.reason : new Error('sync aborted')) }
    signal.addEventListener('abort', onAbort)
    try {
      signal.throwIfAborted()
      await exchange()
      this.stats.rounds += 1
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      if (err instanceof PeerFault) this.init.guard.refuse(peer.toString(), err)
      throw err
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  private async writeDiff (stream: MessageStream, diff: Uint8Array, signal: AbortSignal): Promise<void> {
    this.checkOwn(diff)
    await sendDiff(stream, diff, signal)
    this.stats.bytesOut += diff.byteLength
  }

  // The peer would refuse this node for a diff over its limits: say so here instead
  // (once, it repeats every round), and send nothing.
  private checkOwn (diff: Uint8Array): void {
    try {
      inspectUpdate(diff)
      this.outgrownSaid = false
    } catch (err) {
      const message = `this node's diff for a peer would be refused there (${(err as Error).message}): the document has outgrown what one sync exchange carries`
      if (!this.outgrownSaid) this.log.error({ bytes: diff.byteLength }, message)
      this.outgrownSaid = true
      throw new Error(message)
    }
  }

  private apply (diff: Uint8Array, peer: PeerId): void {
    const elements = inspectUpdate(diff)
    if (!this.init.guard.admitUpdate(peer.toString(), updateCost(diff.byteLength, elements))) {
      throw new PeerFault('flood', `sync diffs beyond the rate limit (${diff.byteLength} bytes, ${elements} elements)`)
    }
    this.stats.bytesIn += diff.byteLength
    let changed = false
    const onUpdate = (): void => { changed = true }
    this.init.document.on('update', onUpdate)
    try {
      this.init.document.applyUpdate(diff, peer.toString())
    } catch (err) {
      // Not routine like a peer going away mid-exchange: say so above debug.
      this.log.warn({ err, peer: peer.toString(), bytes: diff.byteLength }, 'cannot apply the diff a peer sent')
      throw err
    } finally {
      this.init.document.off('update', onUpdate)
    }
    if (changed) this.relay(peer)
  }

  // What arrives by sync is not re-published on gossip, so a node that learnt
  // something (typically after a partition healed or a restart) passes it on by
  // syncing with a few other peers, who do the same if it was news to them: the
  // news spreads epidemically in milliseconds instead of waiting for anti-entropy.
  private relay (source: PeerId): void {
    const others = this.init.node.getPeers().filter(peer => !peer.equals(source))
    for (let i = 0; i < SYNC_RELAY_FANOUT && others.length > 0; i++) {
      const [peer] = others.splice(Math.floor(Math.random() * others.length), 1)
      if (peer !== undefined) this.syncSoon(peer)
    }
  }
}
