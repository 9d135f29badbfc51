// The numbers of the event stream.

/** The events each node keeps in memory: its recent history for a reader that connects. */
export const RING_SIZE = 1000

/** A comment line is sent this often on an idle stream, so proxies and clients keep it open. */
export const PING_MS = 15_000

/** A member whose stream has not answered (its history) within this long is reported unreachable. */
export const MEMBER_TIMEOUT_MS = 3000

/** An unreachable member is dialled again this often; new members are looked for as often. */
export const RESUBSCRIBE_MS = 3000

/** Bytes a stream reader may leave unread before it is dropped: a slow reader never grows the node's memory. */
export const MAX_UNSENT_BYTES = 1024 * 1024

/** Member events about one transition, seen by several nodes, arrive within this long of each other. */
export const MEMBER_DEDUPE_MS = 10_000

/** Events remembered for deduplication, per stream. */
export const DEDUPE_LIMIT = 5000

/** The member-to-member route, and the resource its transfer ticket names. */
export const INTERNAL_ROUTE = '/v1/internal/events'
export const TICKET_RESOURCE = 'events/stream'

/** The most of one line of a member's stream (an event is far smaller); a longer one ends that stream. */
export const MAX_LINE_BYTES = 64 * 1024

/** Event streams one node serves at once: readers of GET /v1/events (each reads every member), and members' reads of its own. */
export const MAX_READERS = 64
export const MAX_MEMBER_READS = 256
