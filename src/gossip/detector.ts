// Gossip-style failure detection (van Renesse, Minsky, Hayden 1998): every node
// bumps its own beat counter each period and exchanges its table of the freshest
// counter it knows for every member with a few random peers (push-pull). A member is
// alive while its counter keeps rising, suspect when it has not for suspectMs, dead
// after deadMs.
//
// No member is taken at its word about another. Each beat is signed by its member
// (incarnation, counter, the member's own monotonic clock), so a relay cannot invent
// one: a beat is verified once, when it is news, before it is believed or relayed.
// A relay could still pass a genuine old beat off as fresh, so a relayed beat is
// dated by its signed clock, translated into ours with the offset learnt from beats
// the member sent us itself (the least arrival - clock seen: its clock plus the
// fastest transit). The relay's own claim of the beat's age is used only for a member
// never heard first-hand. A beat that arrives over the member's own connection
// (noise authenticates its peer id) proves life on arrival. A pulse, a beat its
// member sent by datagram from a thread of its own (pulse-worker.ts), can be replayed
// or held back: it counts only when it is news, dated by its signed clock.
//
// Local health (local-health.ts): time this node itself was stalled is not counted as
// a member's silence, and its deadlines move out by its recent lag.
//
// Pure logic on a caller-supplied monotonic clock (ms): membership.ts does the I/O.

import { beatPayload } from './beat-signature.ts'
import type { BeatSigner, BeatVerifier } from './beat-signature.ts'
import type { LocalHealth } from './local-health.ts'

export type MemberState = 'alive' | 'suspect' | 'dead'

/** One digest entry: a member's signed counter, and how long ago the sender had it fresh (ms). */
export interface Beat {
  id: string
  /** Wall-clock start time of the member's process: a restart outranks every old counter. */
  incarnation: number
  seq: number
  /** The member's monotonic clock when it beat (ms since its process started). */
  clock: number
  /** The member's signature over (incarnation, seq, clock). */
  signature: Uint8Array
  age: number
}

export interface FailureDetectorInit {
  self: string
  suspectMs: number
  deadMs: number
  signer: BeatSigner
  verifier: BeatVerifier
  /** First-hand offsets are the least over this window and the one before (OFFSET_WINDOW_MS). */
  offsetWindowMs: number
  /** This node's stalls; without it every moment counts. */
  health?: LocalHealth
  /**
   * Whose relayed beats are taken (default everyone's): the document's members, so a
   * rogue cannot fill the table, and everyone's digests, with beats of made-up ids.
   * A beat heard first-hand is always taken.
   */
  relayable?: (id: string) => boolean
  /** The own incarnation (default: the wall clock now). */
  incarnation?: number
  /** The own next beat counter (default: one more each beat); the pulse worker draws from the same sequence. */
  nextSeq?: () => number
  /** A recent own beat signed elsewhere (the pulse worker's latest pulse), taken instead of signing one when newer. */
  pulsed?: (now: number) => { seq: number, clock: number, signature: Uint8Array } | undefined
  /** The monotonic time now, for the first own beat (default 0). */
  now?: number
}

interface Entry {
  incarnation: number
  /** -1 until a beat arrives: a member known only from the document. */
  seq: number
  clock: number
  signature: Uint8Array | undefined
  /** Local monotonic time the member was (at the latest) known alive. */
  heardAt: number
  /** Least arrival - clock of first-hand beats, this window and the one before. */
  offset: number
  offsetBefore: number
  offsetSince: number
}

/** The table of the freshest beats known for every member, and the states they imply. */
export class FailureDetector {
  readonly self: string
  private readonly init: FailureDetectorInit
  private readonly incarnation: number
  private seq = 0
  private clock: number
  private signature: Uint8Array
  private readonly entries = new Map<string, Entry>()

  constructor (init: FailureDetectorInit) {
    this.self = init.self
    this.init = init
    this.incarnation = init.incarnation ?? Date.now()
    this.clock = init.now ?? 0
    this.signature = init.signer.sign(beatPayload(this.incarnation, this.seq, this.clock))
  }

  /** Bumps and signs the own counter: called once per heartbeat period. */
  beat (now: number): void {
    const pulsed = this.init.pulsed?.(now)
    if (pulsed !== undefined && pulsed.seq > this.seq) {
      this.seq = pulsed.seq
      this.clock = pulsed.clock
      this.signature = pulsed.signature
      return
    }
    this.seq = this.init.nextSeq?.() ?? this.seq + 1
    this.clock = now
    this.signature = this.init.signer.sign(beatPayload(this.incarnation, this.seq, this.clock))
  }

  /**
   * Starts a grace period for a member known from the document but not heard from:
   * suspect for deadMs, then dead. Does nothing for members already in the table.
   */
  notice (id: string, now: number): void {
    if (id === this.self || this.entries.has(id)) return
    this.entries.set(id, { incarnation: -1, seq: -1, clock: 0, signature: undefined, heardAt: now, offset: Infinity, offsetBefore: Infinity, offsetSince: now })
  }

  /**
   * Merges a digest received from peer `from`. Returns the id of the first entry whose
   * signature does not verify (the digest is dropped from there: `from` relayed a
   * forgery), or undefined.
   */
  observe (beats: readonly Beat[], from: string, now: number): string | undefined {
    for (const beat of beats) {
      if (beat.id === this.self) continue
      const firstHand = beat.id === from
      if (!firstHand && this.init.relayable?.(beat.id) === false) continue
      let entry = this.entries.get(beat.id)
      // A digest straight from its source is news even with a lower counter: the
      // member restarted with its clock set back.
      const news = entry === undefined || entry.seq < 0 || newer(beat, entry) || (firstHand && beat.incarnation !== entry.incarnation)
      if (news) {
        if (!this.init.verifier.verify(beat.id, beatPayload(beat.incarnation, beat.seq, beat.clock), beat.signature)) return beat.id
        entry = this.adopt(beat, entry, now)
      }
      if (entry === undefined) continue
      if (firstHand) {
        if (beat.incarnation === entry.incarnation) this.sampleOffset(entry, now - beat.clock, now)
        entry.heardAt = Math.max(entry.heardAt, now)
      } else if (news) {
        entry.heardAt = Math.max(entry.heardAt, this.dated(entry, beat, now))
      } else if (beat.incarnation === entry.incarnation && beat.seq === entry.seq && this.offsetOf(entry, now) === undefined) {
        // Unsigned ages of the same counter: each honest estimate lies after its true
        // send time (it is when some relay heard it), so the earliest is the closest.
        entry.heardAt = Math.min(entry.heardAt, now - Math.max(0, beat.age))
      }
    }
    return undefined
  }

  /**
   * Merges a pulse: a beat its member sent this node by datagram (pulse-worker.ts),
   * its signature already checked, received at `at`. A datagram can be replayed or
   * held back, so a pulse counts only when it is news, and is dated by its signed
   * clock like a relayed beat; it teaches the member's offset, which a held-back
   * datagram can only raise (the least is kept).
   */
  pulse (pulse: Omit<Beat, 'age'>, at: number): void {
    if (pulse.id === this.self || this.init.relayable?.(pulse.id) === false) return
    const entry = this.entries.get(pulse.id)
    if (entry !== undefined && entry.seq >= 0 && !newer(pulse, entry)) return
    const beat: Beat = { ...pulse, age: 0 }
    const next = this.adopt(beat, entry, at)
    this.sampleOffset(next, at - beat.clock, at)
    next.heardAt = Math.max(next.heardAt, this.dated(next, beat, at))
  }

  /** The state of a member; self is always alive, a member never noticed is undefined. */
  state (id: string, now: number): MemberState | undefined {
    if (id === this.self) return 'alive'
    const entry = this.entries.get(id)
    if (entry === undefined) return undefined
    const health = this.init.health
    const silent = now - entry.heardAt - (health?.stalled(entry.heardAt, now) ?? 0)
    const lag = health?.lag(now) ?? 0
    if (entry.seq < 0) return silent < this.init.deadMs + lag ? 'suspect' : 'dead'
    if (silent < this.init.suspectMs + lag) return 'alive'
    return silent < this.init.deadMs + lag ? 'suspect' : 'dead'
  }

  /** Every member in the table (not self). */
  ids (): IterableIterator<string> {
    return this.entries.keys()
  }

  /** The digest to send: self, then every member heard from within horizonMs. */
  digest (now: number, horizonMs: number): Beat[] {
    const beats: Beat[] = [{ id: this.self, incarnation: this.incarnation, seq: this.seq, clock: this.clock, signature: this.signature, age: 0 }]
    for (const [id, entry] of this.entries) {
      const age = Math.max(0, Math.round(now - entry.heardAt))
      if (entry.signature === undefined || age >= horizonMs) continue
      beats.push({ id, incarnation: entry.incarnation, seq: entry.seq, clock: entry.clock, signature: entry.signature, age })
    }
    return beats
  }

  /** Drops members silent for longer than forgetMs, except those in `keep`. */
  forget (now: number, forgetMs: number, keep: ReadonlySet<string>): void {
    for (const [id, entry] of this.entries) {
      if (now - entry.heardAt > forgetMs && !keep.has(id)) this.entries.delete(id)
    }
  }

  // A verified beat becomes the member's entry; a new incarnation starts its offset over.
  private adopt (beat: Beat, entry: Entry | undefined, now: number): Entry {
    const fresh = entry === undefined || entry.incarnation !== beat.incarnation
    const next: Entry = entry ?? { incarnation: beat.incarnation, seq: -1, clock: 0, signature: undefined, heardAt: -Infinity, offset: Infinity, offsetBefore: Infinity, offsetSince: now }
    if (fresh) {
      next.offset = Infinity
      next.offsetBefore = Infinity
      next.offsetSince = now
    }
    next.incarnation = beat.incarnation
    next.seq = beat.seq
    next.clock = beat.clock
    next.signature = beat.signature
    this.entries.set(beat.id, next)
    return next
  }

  // When a relayed beat left its member, in our clock.
  private dated (entry: Entry, beat: Beat, now: number): number {
    const offset = this.offsetOf(entry, now)
    return offset === undefined ? now - Math.max(0, beat.age) : Math.min(now, beat.clock + offset)
  }

  // The first-hand offset, unless it is two windows old (clocks drift apart).
  private offsetOf (entry: Entry, now: number): number | undefined {
    if (now - entry.offsetSince > 2 * this.init.offsetWindowMs) return undefined
    const offset = Math.min(entry.offset, entry.offsetBefore)
    return offset === Infinity ? undefined : offset
  }

  private sampleOffset (entry: Entry, sample: number, now: number): void {
    if (now - entry.offsetSince >= this.init.offsetWindowMs) {
      entry.offsetBefore = now - entry.offsetSince >= 2 * this.init.offsetWindowMs ? Infinity : entry.offset
      entry.offset = Infinity
      entry.offsetSince = now
    }
    entry.offset = Math.min(entry.offset, sample)
  }
}

function newer (beat: Pick<Beat, 'incarnation' | 'seq'>, entry: Entry): boolean {
  return beat.incarnation > entry.incarnation || (beat.incarnation === entry.incarnation && beat.seq > entry.seq)
}
