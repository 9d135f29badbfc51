// The restart policy of a service (`restart` in the spec, as Docker Swarm's): whether a
// replica that exited is started again, after what delay, and how many times.

import type { ServiceSpec } from '../../crdt/index.ts'
import { parseDuration } from '../spec/index.ts'

export interface ResolvedRestart {
  condition: 'any' | 'on-failure' | 'none'
  /** First wait before a restart; undefined: at once, then the crash-loop backoff. */
  delayMs: number | undefined
  maxAttempts: number | undefined
  windowMs: number | undefined
}

export function resolveRestart (spec: ServiceSpec | undefined): ResolvedRestart {
  const r = spec?.restart ?? {}
  return {
    condition: r.condition ?? 'any',
    delayMs: r.delay === undefined ? undefined : parseDuration(r.delay),
    maxAttempts: r.maxAttempts,
    windowMs: r.window === undefined ? undefined : parseDuration(r.window)
  }
}

/**
 * Why a replica that failed is not to be started again, or undefined to restart it.
 * `exitCode` is undefined for an unhealthy replica (always restarted, as in Swarm,
 * unless the attempts are used up); `failures` are the times of the slot's earlier
 * failures, this one last.
 */
export function refusal (policy: ResolvedRestart, exitCode: number | undefined, failures: readonly number[], now: number): string | undefined {
  if (exitCode !== undefined && policy.condition === 'none') return 'not restarted (restart.condition none)'
  if (exitCode === 0 && policy.condition === 'on-failure') return 'exited 0, not restarted (restart.condition on-failure)'
  if (policy.maxAttempts === undefined) return undefined
  const counted = policy.windowMs === undefined ? failures : failures.filter((at) => now - at <= policy.windowMs!)
  // The first failure is not a restart yet: maxAttempts restarts allow maxAttempts + 1 failures.
  if (counted.length > policy.maxAttempts) return `gave up after ${policy.maxAttempts} restarts (restart.maxAttempts)`
  return undefined
}
