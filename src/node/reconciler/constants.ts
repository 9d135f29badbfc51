// Tunables of this node's reconciliation loop. They change how fast and how often a
// node acts on its own containers, never what the cluster decides.

/** Quiet gap after the last event before a tick runs (the first mark after a quiet spell runs at once). */
export const TICK_GAP_MS = 50

/** A tick runs at the latest this long after the first event that asked for it. */
export const TICK_MAX_DELAY_MS = 1000

/** Full resync with Docker this often, in case an event was missed. */
export const RESYNC_MS = 10_000

/** A tick that met an unreachable Docker Engine tries again after this long. */
export const ENGINE_RETRY_MS = 2000

/** Consecutive failures of a slot's replica on one node before the node asks to be avoided. */
export const CRASH_LOOP_FAILURES = 3

/** Time for the document change to reach every node's mesh (propagation p99 is tens of ms). */
export const UNPUBLISHED_BEFORE_STOP_MS = 1000

/** How soon a stop-first slot looks again whether its old replica is gone. */
export const STOP_FIRST_RECHECK_MS = 100

/**
 * Crash-loop backoff: the first replacement starts at once, then 500 ms doubling to
 * 30 s; a replica healthy for 10 s earns its slot a clean slate.
 */
export const BACKOFF_BASE_MS = 500
export const BACKOFF_MAX_MS = 30_000
export const BACKOFF_RESET_AFTER_MS = 10_000

/** Failure times kept per slot and generation for restart.maxAttempts. */
export const MAX_FAILURE_TIMES = 1000

/** How often a slot waiting for its data to be released looks again (a document change also wakes it). */
export const DATA_RECHECK_MS = 2_000
