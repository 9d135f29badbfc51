// Defaults of the HTTP ingress: every number a request meets on its way.

/** An upstream (a replica, or another node's mesh port) that has not accepted the connection by then has failed. */
export const CONNECT_TIMEOUT_MS = 3000

/** An upstream connection with no byte either way for this long is closed (a request then fails with 502 or is cut). */
export const UPSTREAM_IDLE_MS = 300_000

/** Attempts of one idempotent request without a body, each on another replica when there is one. */
export const MAX_ATTEMPTS = 4

/** Wait before attempt n (n ≥ 2) is n × this: a moment for the document to stop listing a replica that went away. */
export const RETRY_STEP_MS = 100

/** An endpoint that refused a connection gets no new requests for this long on this node (the mesh's ENDPOINT_DOWN_MS). */
export const ENDPOINT_DOWN_MS = 2000

/** Idle pooled connections kept per upstream. */
export const MAX_FREE_SOCKETS = 32

/**
 * A pooled connection idle this long is closed by the ingress: before the upstream's own
 * keep-alive timeout (Node's default is 5 s) closes it under a request being sent. A
 * `Keep-Alive: timeout=N` of the upstream shortens it (node:http's agent honours it).
 */
export const FREE_SOCKET_TIMEOUT_MS = 4000

/** An upstream that left every route keeps its busy connections this long, then they are closed. */
export const DRAIN_MS = 30_000

/** A client connection idle between requests is closed after this. */
export const CLIENT_KEEP_ALIVE_MS = 30_000

/** A port that could not be bound is tried again this often. */
export const LISTEN_RETRY_MS = 5000

/** Where ACME's HTTP-01 challenges arrive (RFC 8555 §8.3). */
export const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/'

/** A client's X-Request-Id is kept when it is 1–128 of these characters; else one is made. */
export const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/
