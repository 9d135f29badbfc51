// Defaults of the routing mesh: timeouts, limits, how long a failed endpoint sits out.

/** An upstream that has not accepted the TCP connection by then counts as failed. */
export const CONNECT_TIMEOUT_MS = 3000

/** A proxied connection with no bytes either way for this long is closed. */
export const IDLE_TIMEOUT_MS = 300_000

/** An endpoint that left keeps its open connections this long, then they are closed. */
export const DRAIN_TIMEOUT_MS = 30_000

/** Open client connections across all listeners; beyond it new ones are closed at once. */
export const MAX_CONNECTIONS = 10_000

/**
 * An endpoint that refused or timed out gets no new connections for this long on this
 * node: long enough to stop hammering a dead replica, short enough that a restarted
 * one is back before the health checker and the document catch up.
 */
export const ENDPOINT_DOWN_MS = 2000

/** Upstreams tried for one client connection before giving up on it. */
export const MAX_CONNECT_ATTEMPTS = 3

/** Accept queue of each listener (the kernel caps it at net.core.somaxconn). */
export const LISTEN_BACKLOG = 4096

/**
 * Client bytes kept until the upstream answers. An upstream that accepts and then
 * closes without a byte — Docker's userland proxy does exactly that for a container
 * that just died — gets the connection replayed on another endpoint, so a replica's
 * death costs no request. A client that sends more than this first is not replayed.
 */
export const REPLAY_LIMIT = 64 * 1024

/** How far apart two nodes' clocks may be for a mesh hop to be accepted (its timestamp). */
export const MESH_CLOCK_SKEW_MS = 60_000

/** A mesh hop's header is at most this large; more is not a mesh hop. */
export const MESH_HEADER_MAX_BYTES = 4096

/** A peer must send its whole hop header within this. */
export const MESH_HEADER_TIMEOUT_MS = 5000

/** Nonces remembered against replays (a hop a second for two minutes is 120; this is plenty). */
export const MESH_NONCES = 100_000

/**
 * Upper bounds (ms) of the connect-latency histogram, dial to upstream connect, per
 * service (GET /metrics). Loopback and a LAN hop land in the first few; a connect past
 * the last is near CONNECT_TIMEOUT_MS and counts only in the total.
 */
export const CONNECT_BUCKETS_MS = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500] as const
