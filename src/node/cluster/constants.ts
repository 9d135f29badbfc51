// Tunables of the cluster's decisions. Every node must use the same values: they
// change what every node computes from the same view.

/** How long a node where a service's replicas keep failing passes the service over (NodeRecord.avoid). */
export const AVOID_MS = 60_000

/** Moves of one service's slots allowed at once when its spec has no `update.parallelism`. */
export const DEFAULT_MOVE_PARALLELISM = 1

/** A rolling update's settings when the spec leaves them out (Swarm's defaults, but start-first). */
export const UPDATE_DEFAULTS = {
  parallelism: 1,
  delay: '0s',
  order: 'start-first',
  failureAction: 'rollback',
  monitor: '1s',
  maxFailureRatio: 0
} as const

/** Clusters this small take over a dead member's slots without a majority: there is none to wait for. */
export const NO_QUORUM_BELOW = 3

/** A member dead this long is reaped (--reap-after): removed, so it no longer counts in the majority. */
export const REAP_AFTER_MS = 24 * 3600 * 1000

/** Addresses per service in a node's service range: the service's own, then one per slot (15). */
export const SERVICE_BLOCK = 16

/** How long the mesh holds a new connection to an autoscaled service at zero while a replica starts. */
export const WAKE_HOLD_MS = 30_000
