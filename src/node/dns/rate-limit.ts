// Per-source rate limit of UDP answers, so a replica that spoofs a victim's address
// cannot use the node as an amplifier. Token buckets on a caller-supplied clock (ms);
// over its rate, a source gets every `slip`-th query answered with an empty truncated
// response (a real client retries over TCP) and the others dropped. Pure, no timers.

import { MAX_TRACKED_SOURCES, SLIP, SOURCE_BURST, SOURCE_QUERIES_PER_S } from './constants.ts'

/** What to do with one UDP query: answer it, answer it with an empty TC response, or drop it. */
export type Verdict = 'answer' | 'slip' | 'drop'

export interface SourceLimiterInit {
  perSecond?: number
  burst?: number
  slip?: number
  maxSources?: number
}

interface Bucket { tokens: number, at: number, over: number }

export class SourceLimiter {
  readonly perSecond: number
  readonly burst: number
  private readonly slip: number
  private readonly maxSources: number
  private readonly buckets = new Map<string, Bucket>()

  constructor (init: SourceLimiterInit = {}) {
    this.perSecond = init.perSecond ?? SOURCE_QUERIES_PER_S
    this.burst = init.burst ?? SOURCE_BURST
    this.slip = init.slip ?? SLIP
    this.maxSources = init.maxSources ?? MAX_TRACKED_SOURCES
  }

  /** The verdict on one query from `source` at `now` (ms, monotonic), charging its bucket. */
  check (source: string, now: number): Verdict {
    const bucket = this.bucketOf(source, now)
    if (bucket === undefined) return 'drop'
    const elapsed = Math.max(0, now - bucket.at)
    bucket.tokens = Math.min(this.burst, bucket.tokens + this.perSecond * elapsed / 1000)
    bucket.at = Math.max(bucket.at, now)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      bucket.over = 0
      return 'answer'
    }
    bucket.over++
    return bucket.over % this.slip === 0 ? 'slip' : 'drop'
  }

  /** Sources with a bucket now. */
  get tracked (): number {
    return this.buckets.size
  }

  /** The source's bucket, new and full if it had none; undefined when the table is full of busy sources. */
  private bucketOf (source: string, now: number): Bucket | undefined {
    const known = this.buckets.get(source)
    if (known !== undefined) return known
    if (this.buckets.size >= this.maxSources) this.sweep(now)
    if (this.buckets.size >= this.maxSources) return undefined
    const bucket = { tokens: this.burst, at: now, over: 0 }
    this.buckets.set(source, bucket)
    return bucket
  }

  /** Drops the buckets that have refilled: their sources are idle, and a new bucket would start full anyway. */
  private sweep (now: number): void {
    for (const [source, bucket] of this.buckets) {
      if (bucket.tokens + this.perSecond * Math.max(0, now - bucket.at) / 1000 >= this.burst) this.buckets.delete(source)
    }
  }
}
