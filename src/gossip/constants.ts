// Defaults of the gossip layer: protocol names, failure-detector timings, limits.

/** Yjs updates written on this node travel on this gossipsub topic. */
export const STATE_TOPIC = 'meshd/state/1'

/** The anti-entropy stream protocol: state vectors out, missing diffs back, both ways. */
export const SYNC_PROTOCOL = '/meshd/sync/1.0.0'

/** The failure detector's heartbeat digests travel point to point on this protocol. */
export const BEAT_PROTOCOL = '/meshd/beat/1.0.0'

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
 * member count instead (about 70 bytes a member).
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

/** A frame or a reassembled diff above this is a protocol error, not a document. */
export const MAX_FRAME_BYTES = 1024 * 1024
export const MAX_SYNC_BYTES = 256 * 1024 * 1024

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

/** The cluster secret file in the data directory (libp2p pnet's swarm.key format). */
export const SECRET_FILE = 'swarm.key'

/** Prefix of the one-line cluster secret token, versioned so the format can change. */
export const TOKEN_PREFIX = 'meshd1-'
