// The autoscaler's pace.

/** How often a coordinator gathers the members' counters and evaluates its services. */
export const AUTOSCALE_TICK_MS = 2000
/** The status (figures, recommendations) is rewritten this often when nothing else changes… */
export const STATUS_EVERY_MS = 60_000
/** …and at most this often when the recommendations of the window change without a decision. */
export const STATUS_MIN_GAP_MS = 6000
/** Decisions kept in a service's status. */
export const DECISIONS_KEPT = 10
/** Recommendations kept in a service's status, for the next coordinator's scale-down window. */
export const RECOMMENDATIONS_KEPT = 64
