// A token bucket on a caller-supplied clock (ms): the per-peer rate limits, and this
// node's own publishing pace. Pure logic, no timers.

/** `rate` tokens a second, at most `burst` saved; starts full. */
export class TokenBucket {
  readonly rate: number
  readonly burst: number
  private tokens: number
  private at: number

  constructor (rate: number, burst: number, now: number) {
    this.rate = rate
    this.burst = burst
    this.tokens = burst
    this.at = now
  }

  /**
   * Takes `cost` tokens if there are that many. `stalled(since, now)` says how long
   * this node itself stalled since the last call: what a peer sent meanwhile waited in
   * our sockets and arrives at once, so that much refill may exceed the burst
   * (Lifeguard's rule: do not judge others by your own slowness).
   */
  take (cost: number, now: number, stalled?: (since: number, now: number) => number): boolean {
    this.refill(now, stalled?.(this.at, now) ?? 0)
    if (this.tokens < cost) return false
    this.tokens -= cost
    return true
  }

  /** How long until `cost` tokens are there (0 when they are now). */
  wait (cost: number, now: number): number {
    this.refill(now, 0)
    return this.tokens >= cost ? 0 : Math.ceil((cost - this.tokens) * 1000 / this.rate)
  }

  /** True when nothing was taken for long enough to refill: the bucket can be dropped. */
  full (now: number): boolean {
    this.refill(now, 0)
    return this.tokens >= this.burst
  }

  private refill (now: number, stalledMs: number): void {
    const elapsed = Math.max(0, now - this.at)
    this.at = Math.max(this.at, now)
    const cap = this.burst + this.rate * Math.min(stalledMs, elapsed) / 1000
    this.tokens = Math.max(this.tokens, Math.min(cap, this.tokens + this.rate * elapsed / 1000))
  }
}
