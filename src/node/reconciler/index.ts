// This node's side of the cluster: the reconciliation loop that runs the slots the
// cluster's decisions give it on Docker, supervised by its restart policy, and
// publishes their replica records.

export { Reconciler } from './reconciler.ts'
export type { ReconcilerInit, ReconcilerEvents } from './reconciler.ts'
export { plan, isLive } from './plan.ts'
export type { TrackedReplica, Plan, StopReason } from './plan.ts'
export { Supervisor } from './supervisor.ts'
export type { FailureVerdict } from './supervisor.ts'
export { SlotBackoff } from './backoff.ts'
export { refusal, resolveRestart } from './restart.ts'
export * as constants from './constants.ts'
export { VolumeKeeper } from './volumes.ts'
export type { VolumeKeeperInit, VolumeRuntime } from './volumes.ts'
