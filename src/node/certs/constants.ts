// The numbers of certificate issuance.

/** A certificate is renewed this long before it expires (and a manual one nearer its end is replaced by ACME). */
export const RENEW_BEFORE_MS = 30 * 24 * 3600_000

/** An issuer's lease: it renews it every LEASE_MS / 3 while it works; once expired (or its holder dead) another node takes over. */
export const LEASE_MS = 60_000

/** After writing its lease, a node waits this long and reads it again: two nodes whose views differed meet there. */
export const LEASE_SETTLE_MS = 1000

/** After writing the challenges, the issuer waits this long before telling the CA: gossip carries them to every node. */
export const CHALLENGE_SETTLE_MS = 1000

/** Backoff after a failed issuance: 10 s, doubling, at most 10 min. */
export const BACKOFF_MIN_MS = 10_000
export const BACKOFF_MAX_MS = 10 * 60_000

/** How often a node looks for hosts to issue; the first look comes after a random part of it. */
export const TICK_MS = 2000

/** Issuances one node runs at once. */
export const MAX_CONCURRENT = 4

/** The longest error message kept in the document. */
export const MAX_ERROR_CHARS = 1024
