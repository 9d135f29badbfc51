// Crash-loop backoff per slot: the first replacement starts at once (failover must
// not wait), repeated failures wait longer, and a replica that stayed healthy for a
// while earns a clean slate.

import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, BACKOFF_RESET_AFTER_MS } from './constants.ts'

export interface BackoffOptions {
  baseMs: number
  maxMs: number
  /** A replica healthy this long resets its slot's failure count. */
  resetAfterMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: BACKOFF_BASE_MS, maxMs: BACKOFF_MAX_MS, resetAfterMs: BACKOFF_RESET_AFTER_MS }

export class SlotBackoff {
  private readonly options: BackoffOptions
  private readonly failures = new Map<string, { count: number, retryAt: number }>()
  private readonly healthySince = new Map<string, number>()

  constructor (options: Partial<BackoffOptions> = {}) {
    this.options = { ...DEFAULT_BACKOFF, ...options }
  }

  /** Records a failure of the slot's replica at `now`; returns when the next start may happen. */
  failure (key: string, now: number, firstDelayMs?: number): number {
    const since = this.healthySince.get(key)
    this.healthySince.delete(key)
    let count = this.failures.get(key)?.count ?? 0
    if (since !== undefined && now - since >= this.options.resetAfterMs) count = 0
    count += 1
    // restart.delay, when set, is the first wait and the base of the doubling.
    const base = Math.max(this.options.baseMs, firstDelayMs ?? 0)
    const delay = count <= 1 ? firstDelayMs ?? 0 : Math.min(base * 2 ** (count - 2), Math.max(this.options.maxMs, firstDelayMs ?? 0))
    const retryAt = now + delay
    this.failures.set(key, { count, retryAt })
    return retryAt
  }

  /** Notes that the slot's replica became healthy at `now`. */
  healthy (key: string, now: number): void {
    if (!this.healthySince.has(key)) this.healthySince.set(key, now)
  }

  /** Forgets a slot entirely (its service or slot went away). */
  forget (key: string): void {
    this.failures.delete(key)
    this.healthySince.delete(key)
  }

  /** Slot key → earliest time of the next start. */
  retryAt (): Map<string, number> {
    return new Map([...this.failures].map(([key, entry]) => [key, entry.retryAt]))
  }

  /** How many consecutive failures the slot has had. */
  count (key: string): number {
    return this.failures.get(key)?.count ?? 0
  }
}
