// The numbers of the transfer channel (node to node, for volume archives and backups).

/** The most plaintext one data frame carries: big enough that the 20 bytes of framing vanish, small enough to hold one per stream. */
export const FRAME_BYTES = 1024 * 1024

/**
 * A transfer's side collects the young generation after this many bytes (young-gc.ts). Every
 * 2 MiB already let the daemons' full collections in bench/volumes.ts rise from ~35 to ~96;
 * every 4 MiB saved nothing in a test process with a daemon-sized heap.
 */
export const COLLECT_EVERY_BYTES = 1024 * 1024

/** A partial frame is sent after this long without more input, so a slow source never looks like a stalled connection. */
export const PARTIAL_FRAME_MS = 1000

/** AES-256-GCM's tag, appended to each frame's ciphertext. */
export const TAG_BYTES = 16

/** A ticket's `at` may be this far from the server's clock, either way. */
export const CLOCK_SKEW_MS = 30_000

/** A ticket's nonce is remembered this long: twice the skew, so a ticket is refused by its time before its nonce is forgotten. */
export const REPLAY_WINDOW_MS = 2 * CLOCK_SKEW_MS

/** The most nonces remembered; a member opening more transfers than this per minute is refused (fail closed) until some expire. */
export const REPLAY_LIMIT = 10_000

/** The header carrying the ticket, and its largest accepted size. */
export const TICKET_HEADER = 'x-meshd-transfer'
export const TICKET_MAX_BYTES = 2048

/** The URL prefix of the transfer routes (the resource follows). */
export const ROUTE_PREFIX = '/v1/internal/transfer/'

/** A resource: 2 to 8 segments of [A-Za-z0-9_.-], the first (the kind) lower-case, at most this long. */
export const RESOURCE_MAX_BYTES = 256

/** A transfer whose connection moves no byte for this long is abandoned, on both ends. */
export const IDLE_TIMEOUT_MS = 60_000

/** The most of an error answer a client reads. */
export const ERROR_BODY_MAX_BYTES = 4096
