// Restarts, as the coordinator can count them: every node notes each replica failure the
// document shows (a replica record's lastFailure: container and time), so whichever node
// coordinates a `replica.restarts` rule has the same history to count from.

import type { ClusterView } from '../cluster/index.ts'

/** "service#slot" → the times (ms) its replicas failed, oldest first. */
export type FailureLog = Record<string, number[]>

/** `log` with the failures `view` shows added and those older than `keepMs` dropped. */
export function noteFailures (log: FailureLog, view: ClusterView, keepMs: number): FailureLog {
  const next: FailureLog = {}
  const horizon = view.now - keepMs
  for (const [key, times] of Object.entries(log)) {
    const kept = times.filter((at) => at > horizon)
    if (kept.length > 0) next[key] = kept
  }
  for (const { replica } of view.replicas) {
    const failure = replica.lastFailure
    if (failure === undefined || failure.at <= horizon || view.services[replica.service] === undefined) continue
    const key = `${replica.service}#${replica.slot}`
    const times = next[key] ?? []
    if (times.includes(failure.at)) continue
    next[key] = [...times, failure.at].sort((a, b) => a - b)
  }
  return next
}
