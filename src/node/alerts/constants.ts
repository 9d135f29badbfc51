// The alert driver's numbers.

/** How often a coordinator evaluates its rules. */
export const ALERT_TICK_MS = 2000
/** A node coordinates only after it has been the coordinator this long: membership views settle first (and a restarted node has synced). */
export const ALERT_HANDOVER_MS = 4000
/** Between writing a notice's claim and posting it: concurrent claims meet in the document, and only the one the document kept is posted. */
export const ALERT_SETTLE_MS = 1000
/** One webhook post: connect and answer within this. */
export const WEBHOOK_TIMEOUT_MS = 5000
/** Posts of one notice at most, the waits between them doubling from the first (1 s, 2 s, 4 s, 8 s). */
export const WEBHOOK_ATTEMPTS = 5
export const WEBHOOK_BACKOFF_MS = 1000
/** The answer's body is read up to this much (for the log), then dropped. */
export const WEBHOOK_MAX_ANSWER_BYTES = 4096
/** How far back restarts are remembered (the longest window a rule may name). */
export const FAILURE_MEMORY_MS = 24 * 3_600_000
