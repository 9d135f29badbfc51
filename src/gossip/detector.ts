// Gossip-style failure detection (van Renesse, Minsky, Hayden 1998): every node
// bumps its own beat counter each period and exchanges its table of the freshest
// counter it knows for every member with a few random peers (push-pull). A member is alive while its counter
// keeps rising, suspect when it has not for suspectMs, dead after deadMs. Each entry
// carries its age, so a beat relayed through several nodes is dated from when it left
// its source, not from when it arrived: the time to declare a crash does not grow
// with the relay path.
//
// Pure logic on a caller-supplied monotonic clock (ms): heartbeat.ts does the I/O.

export type MemberState = 'alive' | 'suspect' | 'dead'

/** One digest entry: a member's counter and how long ago it was fresh (ms). */
export interface Beat {
  id: string
  /** Wall-clock start time of the member's process: a restart outranks every old counter. */
  incarnation: number
  seq: number
  age: number
}

export interface FailureDetectorInit {
  self: string
  suspectMs: number
  deadMs: number
  /** The own incarnation (default: the wall clock now). */
  incarnation?: number
}

interface Entry {
  incarnation: number
  /** -1 until a beat arrives: a member known only from the document. */
  seq: number
  /** Local monotonic time the current counter was (at the latest) fresh at its source. */
  heardAt: number
}

/** The table of the freshest beats known for every member, and the states they imply. */
export class FailureDetector {
  readonly self: string
  private readonly suspectMs: number
  private readonly deadMs: number
  private readonly incarnation: number
  private seq = 0
  private readonly entries = new Map<string, Entry>()

  constructor (init: FailureDetectorInit) {
    this.self = init.self
    this.suspectMs = init.suspectMs
    this.deadMs = init.deadMs
    this.incarnation = init.incarnation ?? Date.now()
  }

  /** Bumps the own counter: called once per heartbeat period. */
  beat (): void {
    this.seq += 1
  }

  /**
   * Starts a grace period for a member known from the document but not heard from:
   * suspect for deadMs, then dead. Does nothing for members already in the table.
   */
  notice (id: string, now: number): void {
    if (id === this.self || this.entries.has(id)) return
    this.entries.set(id, { incarnation: -1, seq: -1, heardAt: now })
  }

  /** Merges a digest received from peer `from`. */
  observe (beats: readonly Beat[], from: string, now: number): void {
    for (const beat of beats) {
      if (beat.id === this.self) continue
      const heardAt = now - Math.max(0, beat.age)
      const entry = this.entries.get(beat.id)
      if (entry === undefined || entry.seq < 0) {
        this.entries.set(beat.id, { incarnation: beat.incarnation, seq: beat.seq, heardAt })
      } else if (beat.id === from || newer(beat, entry)) {
        // A digest straight from its source is proof of life even when its counter is
        // lower than ours: the member restarted with its clock set back.
        entry.incarnation = beat.incarnation
        entry.seq = beat.seq
        entry.heardAt = Math.max(entry.heardAt, heardAt)
      } else if (beat.incarnation === entry.incarnation && beat.seq === entry.seq) {
        // Every estimate of the same counter lies after its true send time (each is
        // when some relay heard it): the earliest is the closest.
        entry.heardAt = Math.min(entry.heardAt, heardAt)
      }
    }
  }

  /** The state of a member; self is always alive, a member never noticed is undefined. */
  state (id: string, now: number): MemberState | undefined {
    if (id === this.self) return 'alive'
    const entry = this.entries.get(id)
    if (entry === undefined) return undefined
    const silent = now - entry.heardAt
    if (entry.seq < 0) return silent < this.deadMs ? 'suspect' : 'dead'
    if (silent < this.suspectMs) return 'alive'
    return silent < this.deadMs ? 'suspect' : 'dead'
  }

  /** Every member in the table (not self). */
  ids (): IterableIterator<string> {
    return this.entries.keys()
  }

  /** The digest to send: self, then every member heard from within horizonMs. */
  digest (now: number, horizonMs: number): Beat[] {
    const beats: Beat[] = [{ id: this.self, incarnation: this.incarnation, seq: this.seq, age: 0 }]
    for (const [id, entry] of this.entries) {
      const age = Math.max(0, Math.round(now - entry.heardAt))
      if (entry.seq >= 0 && age < horizonMs) beats.push({ id, incarnation: entry.incarnation, seq: entry.seq, age })
    }
    return beats
  }

  /** Drops members silent for longer than forgetMs, except those in `keep`. */
  forget (now: number, forgetMs: number, keep: ReadonlySet<string>): void {
    for (const [id, entry] of this.entries) {
      if (now - entry.heardAt > forgetMs && !keep.has(id)) this.entries.delete(id)
    }
  }
}

function newer (beat: Beat, entry: Entry): boolean {
  return beat.incarnation > entry.incarnation || (beat.incarnation === entry.incarnation && beat.seq > entry.seq)
}
