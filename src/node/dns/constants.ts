// Defaults of the node's DNS server: the zone, its TTLs, how forwarding waits, and the
// limits that keep a replica from turning the node into an amplifier or a socket sink.

/** The zone this node answers for with authority: `db.meshd`, `db-0.meshd`. */
export const ZONE = 'meshd'

/** Port the server listens on in production; containers' resolvers only ever ask port 53. */
export const DNS_PORT = 53

/**
 * TTL of an A answer. Addresses move when a replica moves or a service is re-addressed;
 * 5 s bounds how long a caching client keeps a stale one, and local answers cost
 * microseconds, so a short TTL is cheap.
 */
export const ANSWER_TTL_S = 5

/**
 * TTL of NXDOMAIN and NODATA answers (the SOA's minimum, RFC 2308). Short, because a
 * service is often created while its clients already start: their next retry (clients
 * back off ≥ 1 s) should find it; long enough that a caching client's tight retry loop
 * over a misspelt name is absorbed by its cache.
 */
export const NEGATIVE_TTL_S = 2

/**
 * One upstream exchange (all upstreams tried in turn share it). Past it the client gets
 * SERVFAIL, which it sees well before its own resolver gives up (glibc: 5 s).
 */
export const FORWARD_TIMEOUT_MS = 2000

/**
 * Forwards waiting for an upstream at once, across all clients. Each holds a socket;
 * beyond it a query is answered SERVFAIL at once instead of growing the node's sockets
 * without bound when an upstream is slow or a replica floods.
 */
export const MAX_PENDING_FORWARDS = 1024

/**
 * UDP responses to one source address per second, and the burst it may save. Sized for
 * a busy replica that does not cache (Node's http client looks up A and AAAA for every
 * new connection: 1,000 requests/s is ≈ 2,000 lookups/s across a few replicas), and low
 * enough to cap what a replica spoofing a victim's address can reflect at it.
 */
export const SOURCE_QUERIES_PER_S = 500
export const SOURCE_BURST = 1000

/**
 * A source over its rate gets every SLIP-th UDP query answered with an empty truncated
 * response (no bigger than the query: no amplification) and the others dropped — BIND's
 * response-rate-limiting "slip". A real client that is merely busy retries over TCP,
 * where its address cannot be spoofed and no rate applies; a reflection attack gets
 * less back than it sends.
 */
export const SLIP = 2

/** At most one warning this often that sources went over their rate, with how many queries were limited since. */
export const LIMIT_WARNING_INTERVAL_MS = 60_000

/**
 * Sources with a rate bucket held at once. A replica spoofing random sources would
 * otherwise grow the table without bound; idle buckets are dropped first, and when all
 * are busy a new source is treated as over its rate.
 */
export const MAX_TRACKED_SOURCES = 4096

/**
 * Largest UDP response sent to a client that advertises EDNS, whatever larger size it
 * claims: 1232 bytes fits any path's MTU without IP fragmentation (DNS flag day 2020).
 * Without EDNS the limit is 512 (RFC 1035).
 */
export const MAX_UDP_PAYLOAD = 1232

/** The classic UDP limit of a client without EDNS (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_PAYLOAD = 512

/** TCP client connections open at once; more are closed at accept. */
export const MAX_TCP_CONNECTIONS = 256

/**
 * TCP client connections from one address at once: a resolver needs one or two, and
 * a replica holding idle connections must not take every slot from the others.
 */
export const MAX_TCP_CONNECTIONS_PER_SOURCE = 16

/** A TCP client connection idle this long is closed (RFC 7766 suggests seconds). */
export const TCP_IDLE_TIMEOUT_MS = 10_000

/** Where the host's resolvers are listed, and where systemd-resolved lists its upstreams when the first names only its loopback stub. */
export const RESOLV_CONF = '/etc/resolv.conf'
export const SYSTEMD_RESOLV_CONF = '/run/systemd/resolve/resolv.conf'
