// Defaults of the gossip layer: protocol names, failure-detector timings, limits.

/** Yjs updates written on this node travel on this gossipsub topic. */
export const STATE_TOPIC = 'meshd/state/1'

/** The anti-entropy stream protocol: state vectors out, missing diffs back, both ways. */
export const SYNC_PROTOCOL = '/meshd/sync/1.0.0'

/**
 * The failure detector's heartbeat digests travel point to point on this protocol.
 * Version 2 carries signed beats; a version 1 node does not speak it, so a mixed
 * cluster fails to exchange beats cleanly instead of refusing each other's digests.
 */
export const BEAT_PROTOCOL = '/meshd/beat/2.0.0'

/** How often a node beats and sends its digest. */
export const HEARTBEAT_MS = 250

/**
 * No fresh beat for this long: suspect. Several beat periods, so one late or lost
 * digest, or a GC pause, only ever reaches suspect.
 */
export const SUSPECT_MS = 1200

/**
 * No fresh beat for this long: dead. The design asks for a crashed node to be dead
 * everywhere within 3 s and a node paused for 1 s never to be: 2.5 s leaves 0.5 s for
 * the check period and the last beat's travel on one side, and 1.5 s for a resumed
 * node's beat to reach everyone on the other.
 */
export const DEAD_MS = 2500

/** How often a node runs a sync round with one random connected peer. */
export const ANTI_ENTROPY_MS = 5000

/**
 * How many random connected peers each heartbeat's digest is pushed to; each answers
 * with its own. Per-node detector traffic is 2 × this many messages per heartbeat
 * whatever the cluster size (gossip-style failure detection); digests grow with the
 * member count instead (about 140 bytes a member, signature included).
 */
export const BEAT_FANOUT = 3

/** How often member states are re-evaluated; events fire at most this late. */
export const DETECTOR_CHECK_MS = 50

/**
 * A member silent for this long is left out of digests: everyone has long declared
 * it dead, and digests should not grow with every node that ever existed.
 */
export const DIGEST_HORIZON_MS = 30_000

/** A member not in the document and silent for this long is forgotten altogether. */
export const FORGET_MS = 120_000

/**
 * Local updates larger than this are not published on gossip: gossipsub would copy
 * them to every peer and keep them in its message cache. An immediate sync round
 * with every connected peer carries them instead.
 */
export const MAX_GOSSIP_UPDATE_BYTES = 256 * 1024

/** Sync frames carry at most this many payload bytes; larger diffs are chunked. */
export const SYNC_CHUNK_BYTES = 256 * 1024

/** A frame above this is a protocol error, not a document. */
export const MAX_FRAME_BYTES = 1024 * 1024

/** A sync that brought news is followed by syncs with this many other random peers. */
export const SYNC_RELAY_FANOUT = 3

/** A whole sync exchange must finish within this. */
export const SYNC_TIMEOUT_MS = 30_000

/** Reconnection: first retry after this, doubling up to RECONNECT_MAX_MS (with jitter). */
export const RECONNECT_MIN_MS = 250
export const RECONNECT_MAX_MS = 5000

/** How often the connector looks for members and join addresses it is not connected to. */
export const RECONNECT_TICK_MS = 250

/** One dial attempt, handshakes included, must finish within this. */
export const DIAL_TIMEOUT_MS = 5000

/** The pre-shared-key confirmation must finish within this. */
export const SECRET_CHECK_TIMEOUT_MS = 3000

/** A peer with the wrong cluster secret is warned about at most once per this, per host. */
export const MISMATCH_WARN_INTERVAL_MS = 60_000

/** The mDNS service tag: only meshd nodes answer each other. */
export const MDNS_SERVICE_TAG = 'meshd.local'

/** How often a node asks the LAN for members by mDNS (the library's default is 10 s): a query missed at start costs seconds, not ten. */
export const MDNS_QUERY_INTERVAL_MS = 3_000

/** Peers found by mDNS and not yet members that the connector keeps dialling (a bound against a LAN full of announcements). */
export const MDNS_MAX_FOUND = 64

/** The cluster secret file in the data directory (libp2p pnet's swarm.key format). */
export const SECRET_FILE = 'swarm.key'

/** Prefix of the one-line cluster secret token, versioned so the format can change. */
export const TOKEN_PREFIX = 'meshd1-'

// ---- Trusting no peer blindly (every member holds the cluster secret) ----

/**
 * An update from a peer (gossip message or reassembled sync diff) above this is
 * refused and its sender disconnected. 16× a large real state (100 records of 8 KiB,
 * 1 MiB in V2) and far above any single write; the flip side is that a document whose
 * full state outgrows it can no longer be synced to a new node (the sender logs it).
 */
export const MAX_UPDATE_BYTES = 4 * 1024 * 1024

/** A gossipsub RPC may be this large: one maximal update and 64 KiB for its envelope. */
export const MAX_GOSSIP_RPC_BYTES = MAX_UPDATE_BYTES + 64 * 1024

/**
 * An update that decodes to more elements (structs, values, delete ranges) than this
 * is refused. The densest legitimate history measured, 100k overwrites of a Y.Map, is
 * 100k structs; integrating 128k such structs takes 0.4-1 s on this machine, the most
 * one update may cost.
 */
export const MAX_UPDATE_ELEMENTS = 128 * 1024

/**
 * And no more than this many elements per input byte (plus UPDATE_ELEMENT_SLACK):
 * the 100k-overwrite history packs 1.7 structs per byte, ordinary updates far fewer
 * than one. A crafted run-length bomb announces millions per byte and is stopped after
 * a few thousand.
 */
export const UPDATE_ELEMENTS_PER_BYTE = 8
export const UPDATE_ELEMENT_SLACK = 4096

/**
 * Per-peer rate limit on updates applied from that peer, a token bucket: this many
 * tokens per second, up to PEER_UPDATE_BURST saved. An update costs 1 token, plus
 * 1 per UPDATE_TOKEN_ELEMENTS decoded elements and 1 per UPDATE_TOKEN_BYTES, so the
 * limit holds the peer to 50 small updates/s, or ~51k elements/s, or ~3 MiB/s of
 * work. A busy node writes a few updates a second (the reconciler publishes all its
 * replica records in one transaction per tick); its own publishing is held to 80%
 * of this (SELF_RATE_SHARE), merging what waits, so a burst of API writes never
 * trips it.
 */
export const PEER_UPDATE_RATE = 50
export const UPDATE_TOKEN_ELEMENTS = 1024
export const UPDATE_TOKEN_BYTES = 64 * 1024

/**
 * Three maximal updates (1 + 128 + 64 tokens each): the same full-state diff can
 * legitimately arrive twice when both sides sync on connect, and a node catching up
 * may get a third before its first is applied.
 */
export const PEER_UPDATE_BURST = 600

/** This node publishes its own updates at this share of the rate its peers allow. */
export const SELF_RATE_SHARE = 0.8

/**
 * Heartbeat digests from one peer: pushes (up to one per beat) plus replies to ours
 * (up to one per beat) are 8/s at most in a 2-node cluster; 2.5× that is allowed,
 * and a burst of three seconds' worth.
 */
export const PEER_DIGEST_RATE = 20
export const PEER_DIGEST_BURST = 60

/**
 * At most this many sync exchanges a peer may have open towards this node at once;
 * further streams are reset. A node runs one exchange per peer at a time; a second
 * can open while this side is still applying the first.
 */
export const MAX_INBOUND_SYNC_STREAMS = 2

/**
 * A peer that sent a malformed, oversize or flooding update, or a forged beat, is
 * disconnected and its connections refused for this long: long enough that a rogue
 * cannot keep a node busy, short enough that an honest node refused by mistake (a
 * bug, a long local stall) is back soon. Its signed beats keep it alive meanwhile.
 */
export const REFUSE_PEER_MS = 30_000

/**
 * Local health (Lifeguard): a timer firing later than this is this node stalling
 * (starved of CPU, a long GC); ordinary jitter below it is ignored, so an unstarved
 * node's deadlines do not move.
 */
export const STALL_TOLERANCE_MS = 20

/**
 * The longest stall that ended within this long extends the suspect and dead
 * deadlines: digests wait in the sockets about that long while the node is starved.
 * Under starvation stalls recur and keep the extension up; after one hiccup on a
 * healthy node it is gone within a second, so a crash is still seen in time.
 */
export const STALL_WINDOW_MS = 1000

/**
 * Time this node spent stalled is not counted as a member's silence, up to this much
 * (4 × DEAD_MS): a node starved beyond that still reaches verdicts eventually.
 */
export const MAX_STALL_CREDIT_MS = 10_000

/**
 * A member's clock offset is learnt from beats it sent directly, as the minimum over
 * the current and the previous window of this length: clocks drift apart by at most
 * a few milliseconds in that time.
 */
export const OFFSET_WINDOW_MS = 60_000

// ---- Pulses: liveness on a thread of its own (pulse-worker.ts) ----

/**
 * The pulse worker sends this node's pulses only while the main thread has checked
 * in (on a heartbeat) within this long: a wedged main loop (an endless loop, a
 * synchronous call that never returns) must not look alive forever, and is dead
 * everywhere PULSE_LEASE_MS + DEAD_MS after its last heartbeat. 4 × DEAD_MS, as long
 * as this node forgives its own stalls (MAX_STALL_CREDIT_MS): a node whose loop is
 * starved of CPU still beats now and then (at nice 19 beside busy loops at nice 0, its
 * heartbeats ran up to 4.8 s late beside two loops, 8.7 s beside four), so it stays
 * alive, while a loop that made no progress for 10 s serves nobody (API, reconciler,
 * proxy) and its replicas had better move.
 */
export const PULSE_LEASE_MS = 10_000

/**
 * Pulses taken per second from one member's address, and the burst: a member sends
 * one per heartbeat (up to 4.4/s with jitter); twice that, and two seconds' worth,
 * so a flood costs at most this many signature checks a second per member.
 */
export const PULSE_RATE = 8
export const PULSE_BURST = 16

/** The pulse worker must listen within this, or the node goes on without pulses (it starts in 50-100 ms here). */
export const PULSE_READY_TIMEOUT_MS = 5000

/**
 * The pulse worker's old generation limit. The thread holds the members' addresses,
 * keys and token buckets (bounded by the member count): well under 8 MB after Node's
 * own start-up (4 MB is too little for that). Any explicit limit sizes the isolate's
 * heap for it instead of for the machine's memory: ~0.8 MB less RSS idle.
 */
export const PULSE_WORKER_HEAP_MB = 32

/** A removed member that keeps knocking is warned about at most this often. */
export const BANNED_WARN_INTERVAL_MS = 60_000
