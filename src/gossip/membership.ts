// Membership: who is in the cluster comes from the document's `nodes`; whether each
// one is alive comes from the failure detector, fed by heartbeat digests and by the
// members' pulses (pulses.ts: beats sent from a thread of their own, which reach the
// members while this node's event loop is starved). This part runs the two clocks
// (beat, evaluate), reports state transitions, and tells LocalHealth how late its
// clocks fire. Beats are signed with the node's key; a peer relaying a beat whose
// signature fails is refused.

import { BeatLinks } from './beat-links.ts'
import { FailureDetector } from './detector.ts'
import { encodeDigest } from './digest.ts'
import { PeerFault } from './fault.ts'
import { Ed25519Verifier, ed25519Signer } from './beat-signature.ts'
import { Pulses } from './pulses.ts'
import { DETECTOR_CHECK_MS, DIGEST_HORIZON_MS, FORGET_MS, OFFSET_WINDOW_MS } from './constants.ts'
import type { MemberState } from './detector.ts'
import type { LocalHealth } from './local-health.ts'
import type { PeerGuard } from './peer-guard.ts'
import type { Logger } from '../logger.ts'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'

export interface MembershipInit {
  self: string
  /** The node's key: its beats are signed with it. */
  privateKey: PrivateKey
  node: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol' | 'getPeers' | 'addEventListener' | 'removeEventListener'>
  guard: Pick<PeerGuard, 'admitDigest' | 'refuse' | 'refusing'>
  health: LocalHealth
  /** The ids of the document's members, self included or not: a new set whenever they change. */
  members: () => ReadonlySet<string>
  /** Where the members listen (their address and p2p port): pulses go there by UDP. */
  addresses: () => ReadonlyArray<{ id: string, host: string, port: number }>
  /** The node's own address and p2p port, where its pulse worker listens for UDP. */
  host: string
  port: number
  log: Logger
  heartbeatMs: number
  suspectMs: number
  deadMs: number
  fanout: number
  onChange: (id: string, state: MemberState) => void
}

/** Beats, evaluates member states every DETECTOR_CHECK_MS and reports transitions. */
export class Membership {
  private readonly init: MembershipInit
  private readonly detector: FailureDetector
  readonly links: BeatLinks
  readonly pulses: Pulses
  /** The member set the pulse worker was last told about. */
  private pulseMembers: ReadonlySet<string> | undefined
  /** The last evaluated state of every member: what events said and reads return. */
  private readonly states = new Map<string, MemberState>()
  private beatTimer: NodeJS.Timeout | undefined
  private checkTimer: NodeJS.Timeout | undefined
  private nextBeatAt = 0
  private lastCheck = 0
  private checks = 0
  private started = false
  private readonly onConnect = (evt: CustomEvent<PeerId>): void => {
    // A new peer learns everything we know at once instead of over a few rounds.
    this.links.push(evt.detail, this.digest())
  }

  constructor (init: MembershipInit) {
    this.init = init
    const incarnation = Date.now()
    this.pulses = new Pulses({
      self: init.self,
      privateKey: init.privateKey,
      host: init.host,
      port: init.port,
      incarnation,
      heartbeatMs: init.heartbeatMs,
      log: init.log,
      onPulse: pulse => { this.detector.pulse(pulse, pulse.at) }
    })
    this.detector = new FailureDetector({
      self: init.self,
      incarnation,
      nextSeq: () => this.pulses.nextSeq(),
      pulsed: now => this.pulses.latest(now),
      suspectMs: init.suspectMs,
      deadMs: init.deadMs,
      signer: ed25519Signer(init.privateKey),
      verifier: new Ed25519Verifier(),
      offsetWindowMs: OFFSET_WINDOW_MS,
      health: init.health,
      relayable: id => init.members().has(id),
      now: performance.now()
    })
    this.links = new BeatLinks({
      node: init.node,
      log: init.log,
      guard: init.guard,
      onDigest: (from, beats) => {
        // Pulses first: what they brought is no news in the digest, and not verified twice.
        this.pulses.drain()
        const forged = this.detector.observe(beats, from.toString(), performance.now())
        if (forged !== undefined) throw new PeerFault('forged-beat', `relayed a beat of ${forged} whose signature does not verify`)
      },
      digest: () => this.digest()
    })
  }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    await this.links.start()
    this.tellPulses()
    await this.pulses.start()
    const now = performance.now()
    for (const id of this.init.members()) this.detector.notice(id, now)
    this.init.node.addEventListener('peer:connect', this.onConnect)
    this.nextBeatAt = now
    this.lastCheck = now
    this.beat()
    this.checkTimer = setInterval(() => {
      try {
        this.check()
      } catch (err) {
        this.init.log.error({ err }, 'evaluating member states failed')
      }
    }, DETECTOR_CHECK_MS)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    clearTimeout(this.beatTimer)
    clearInterval(this.checkTimer)
    this.init.node.removeEventListener('peer:connect', this.onConnect)
    await this.pulses.stop()
    await this.links.stop()
  }

  /**
   * The member's state as last evaluated, so reads agree with the events sent;
   * suspect (the starting state) until then; undefined for an id never seen.
   */
  state (id: string): MemberState | undefined {
    if (id === this.init.self) return 'alive'
    const state = this.states.get(id)
    if (state !== undefined) return state
    return this.detector.state(id, performance.now()) === undefined ? undefined : 'suspect'
  }

  private digest (): Uint8Array {
    return encodeDigest(this.detector.digest(performance.now(), DIGEST_HORIZON_MS))
  }

  private beat (): void {
    const now = performance.now()
    this.init.health.timer(this.nextBeatAt, now)
    this.pulses.checkIn()
    this.pulses.drain()
    // Far behind schedule means this process was paused or blocked: everyone may be
    // about to suspect us, so tell every peer at once rather than a few.
    const late = now - this.nextBeatAt > this.init.suspectMs / 2
    if (late) this.init.log.debug({ lateMs: Math.round(now - this.nextBeatAt) }, 'heartbeat late: telling every peer')
    try {
      this.detector.beat(now)
      const digest = this.digest()
      const peers = this.init.node.getPeers()
      for (const peer of late ? peers : sample(peers, this.init.fanout)) this.links.push(peer, digest)
    } catch (err) {
      this.init.log.error({ err }, 'sending heartbeats failed')
    }
    // ±10% jitter, so beats of nodes started together drift apart.
    const delay = this.init.heartbeatMs * (0.9 + 0.2 * Math.random())
    this.nextBeatAt = now + delay
    if (this.started) this.beatTimer = setTimeout(() => { this.beat() }, delay)
  }

  private check (): void {
    const now = performance.now()
    const lag = now - this.lastCheck - DETECTOR_CHECK_MS
    this.init.health.timer(this.lastCheck + DETECTOR_CHECK_MS, now)
    this.lastCheck = now
    this.pulses.drain()
    // This timer running late means we were paused or blocked: the digests that
    // arrived meanwhile are still queued, so our table is stale, not the members.
    if (lag > this.init.heartbeatMs) {
      this.init.log.debug({ lagMs: Math.round(lag) }, 'member check late: skipping one evaluation')
      return
    }
    const members = this.init.members()
    if (members !== this.pulseMembers) this.tellPulses()
    for (const id of members) this.detector.notice(id, now)
    for (const id of this.detector.ids()) {
      const state = this.detector.state(id, now) ?? 'dead'
      // Members start as suspect (not heard yet): the first beat reports alive, and
      // silence through the grace period reports dead.
      const previous = this.states.get(id) ?? 'suspect'
      this.states.set(id, state)
      if (state !== previous) this.init.onChange(id, state)
    }
    if (++this.checks % 100 === 0) this.forget(now, members)
  }

  private tellPulses (): void {
    this.pulseMembers = this.init.members()
    this.pulses.members(this.init.addresses())
  }

  private forget (now: number, members: ReadonlySet<string>): void {
    this.detector.forget(now, FORGET_MS, members)
    const known = new Set(this.detector.ids())
    for (const id of this.states.keys()) if (!known.has(id)) this.states.delete(id)
  }
}

/** Up to n distinct random items. */
function sample<T> (items: readonly T[], n: number): T[] {
  const pool = [...items]
  for (let i = 0; i < Math.min(n, pool.length); i++) {
    const j = i + Math.floor(Math.random() * (pool.length - i))
    const item = pool[j] as T
    pool[j] = pool[i] as T
    pool[i] = item
  }
  return pool.slice(0, n)
}
