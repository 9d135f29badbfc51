// The restart supervisor of this node's slots (SwarmKit's restart supervisor, apart
// from the loop): it remembers each slot's failures, applies the service's restart
// policy, paces replacements with the crash-loop backoff, and tells when a slot keeps
// failing here. The loop asks it; it never touches Docker or the document.

import type { ServiceSpec } from '../../crdt/index.ts'
import type { DesiredSlot } from '../cluster/index.ts'
import { SlotBackoff } from './backoff.ts'
import { CRASH_LOOP_FAILURES, MAX_FAILURE_TIMES } from './constants.ts'
import { refusal, resolveRestart } from './restart.ts'

/** What the supervisor decided about a failed replica. */
export interface FailureVerdict {
  /** Why the restart policy leaves the slot as it is; undefined: it is replaced. */
  refused?: string
  /** When the replacement may start (when not refused). */
  retryAt?: number
  /** The slot failed CRASH_LOOP_FAILURES times in a row here: try the service on another node. */
  crashLoop: boolean
}

export class Supervisor {
  private readonly backoff = new SlotBackoff()
  /** Failure times per slot and generation (key@generation), for restart.maxAttempts. */
  private readonly failureTimes = new Map<string, number[]>()
  /** Slots (key@generation) the restart policy leaves alone, and why. */
  private readonly finished = new Map<string, string>()

  /**
   * A replica of `slot` exited (`exitCode`) or turned unhealthy (no exit code) at `now`,
   * running `spec`: restart it, when, or leave it, as the restart policy says.
   */
  failed (slot: { key: string, generation: number }, spec: ServiceSpec | undefined, exitCode: number | undefined, now: number): FailureVerdict {
    const attempt = `${slot.key}@${slot.generation}`
    const times = [...(this.failureTimes.get(attempt) ?? []), now].slice(-MAX_FAILURE_TIMES)
    this.failureTimes.set(attempt, times)
    const policy = resolveRestart(spec)
    const refused = refusal(policy, exitCode, times, now)
    if (refused !== undefined) {
      this.finished.set(attempt, refused)
      return { refused, crashLoop: false }
    }
    const retryAt = this.backoff.failure(slot.key, now, policy.delayMs)
    return { retryAt, crashLoop: this.backoff.count(slot.key) >= CRASH_LOOP_FAILURES }
  }

  /** A start failed before a container existed, or a container vanished: back off the slot. */
  startFailed (key: string, now: number): number {
    return this.backoff.failure(key, now)
  }

  /** The slot's replica became healthy at `now` (staying so earns a clean slate). */
  healthy (key: string, now: number): void {
    this.backoff.healthy(key, now)
  }

  /** Slot key → earliest time of the next start. */
  retryAt (): Map<string, number> {
    return this.backoff.retryAt()
  }

  /** The desired slots, with those the restart policy leaves alone marked finished. */
  mark (desired: DesiredSlot[]): DesiredSlot[] {
    return desired.map((slot) => this.finished.has(`${slot.key}@${slot.generation}`) ? { ...slot, finished: true } : slot)
  }

  /** Forgets every slot and generation no longer desired here. */
  keepOnly (desired: readonly DesiredSlot[]): void {
    const keys = new Set(desired.map((slot) => slot.key))
    for (const key of this.backoff.retryAt().keys()) if (!keys.has(key)) this.backoff.forget(key)
    const wanted = new Set(desired.map((slot) => `${slot.key}@${slot.generation}`))
    for (const key of this.failureTimes.keys()) if (!wanted.has(key)) this.failureTimes.delete(key)
    for (const key of this.finished.keys()) if (!wanted.has(key)) this.finished.delete(key)
  }
}
