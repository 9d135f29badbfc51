/**
 * After a TCP connect succeeds, wait this long for the peer to hang up. Docker's
 * userland proxy accepts on the published port even when nothing listens in the
 * container, then closes — within milliseconds on an idle machine, but tens of them on
 * a loaded one (30 ms once let a replica count as healthy before httpd listened); a
 * connect alone would always pass.
 */
export const TCP_SETTLE_MS = 100

/** Characters of a failing command's output kept in the probe's detail. */
export const DETAIL_OUTPUT_CHARS = 200

/** Probe cadence before a replica's first success (Docker's start_interval). */
export const START_INTERVAL_MS = 50
