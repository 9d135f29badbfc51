// Limits of the API's front door. They bound what an unauthenticated client can cost.

/** Random bytes in a token: 256 bits, so a plain SHA-256 of it is a safe thing to store. */
export const TOKEN_BYTES = 32

/** Tokens start with this, so a leaked one is recognisable (secret scanners, logs). */
export const TOKEN_PREFIX = 'meshd_'

/** A client must send its whole request head within this (Node's headersTimeout). */
export const HEADERS_TIMEOUT_MS = 10_000

/** A whole request, body included, must arrive within this (Node's requestTimeout). */
export const REQUEST_TIMEOUT_MS = 30_000

/**
 * How long an idle keep-alive connection stays open (Node's keepAliveTimeout; fastify's own
 * default, which a custom server factory does not get). Clients close an idle connection a
 * little before the server's hint (undici: 2 s before): with Node's 5 s, a client whose event
 * loop was busy for 2 s could send a request on a connection the server was closing ("other
 * side closed"). Idle connections stay bounded by MAX_CONNECTIONS_PER_CLIENT.
 */
export const KEEP_ALIVE_MS = 72_000

/** How often Node checks the two timeouts above (its default of 30 s would let them run long). */
export const TIMEOUT_CHECK_MS = 1_000

/** Open connections one client address may hold; more are closed on accept. */
export const MAX_CONNECTIONS_PER_CLIENT = 128

/** The audit log is rotated at this size; this many files are kept (audit.log, .1, .2). */
export const AUDIT_MAX_BYTES = 10 * 1024 * 1024
export const AUDIT_FILES = 3

/** The most audit lines one GET /v1/audit returns. */
export const AUDIT_MAX_LIMIT = 10_000

