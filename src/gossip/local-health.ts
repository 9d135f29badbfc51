// Local health, after Lifeguard (Dadgar et al. 2018): a node whose own event loop is
// starved receives and handles beats late, and must not blame the members for it.
// The membership timers report how late they fire; lateness beyond a tolerance is a
// stall, a period in which this node could not have heard anyone. The detector then
// does not count stalled time as a member's silence, and pushes its deadlines out by
// the longest recent stall (what is still queued in the sockets is about that old).
//
// Pure logic on a caller-supplied monotonic clock (ms).

export interface LocalHealthInit {
  /** Lateness up to this is jitter, not a stall (STALL_TOLERANCE_MS). */
  toleranceMs: number
  /** lag() is the longest stall that ended within this (STALL_WINDOW_MS). */
  windowMs: number
  /** stalled() never credits more than this (MAX_STALL_CREDIT_MS). */
  maxCreditMs: number
  /** Stalls are remembered this long; older silences get no credit for them. */
  retainMs: number
}

interface Stall {
  start: number
  end: number
  /** Stalled time before this stall, over the node's life (stalls never overlap). */
  before: number
  lateness: number
}

/** The stalls of this node's event loop, from the lateness of its timers. */
export class LocalHealth {
  private readonly init: LocalHealthInit
  private readonly stalls: Stall[] = []
  private total = 0
  private lastEnd = -Infinity

  constructor (init: LocalHealthInit) {
    this.init = init
  }

  /** A timer due at `due` fired at `ran`: any lateness beyond the tolerance is a stall. */
  timer (due: number, ran: number): void {
    const lateness = ran - due
    if (lateness <= this.init.toleranceMs) return
    // Two timers late over the same stretch report it twice: count it once.
    const start = Math.max(due + this.init.toleranceMs, this.lastEnd)
    if (ran > start) {
      this.stalls.push({ start, end: ran, before: this.total, lateness })
      this.total += ran - start
      this.lastEnd = ran
    }
    while (this.stalls.length > 0 && (this.stalls[0] as Stall).end < ran - this.init.retainMs) this.stalls.shift()
  }

  /** How long this node was stalled within (since, now], at most maxCreditMs. */
  stalled (since: number, now: number): number {
    if (now <= since) return 0
    return Math.min(this.init.maxCreditMs, this.cumulative(now) - this.cumulative(since))
  }

  /** The lateness of the longest stall that ended within windowMs of now; 0 when none. */
  lag (now: number): number {
    let longest = 0
    for (let i = this.stalls.length - 1; i >= 0; i--) {
      const stall = this.stalls[i] as Stall
      if (stall.end < now - this.init.windowMs) break
      longest = Math.max(longest, stall.lateness)
    }
    return longest
  }

  // Stalled time from the first remembered stall up to t.
  private cumulative (t: number): number {
    let lo = 0
    let hi = this.stalls.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if ((this.stalls[mid] as Stall).start <= t) { found = mid; lo = mid + 1 } else hi = mid - 1
    }
    if (found < 0) return this.stalls[0]?.before ?? this.total
    const stall = this.stalls[found] as Stall
    return stall.before + Math.min(t, stall.end) - stall.start
  }
}
